package form

import "slices"

// Form media files: the pictures a form's media::image cells name. An
// XLSForm workbook does not contain them; as in ODK Central they are
// uploaded separately, one per name the form declares, and served with the
// station lists in the OpenRosa manifest. Checking an uploaded file (its
// size and sniffed type) is package form/media's: the sniffing is
// net/http's, which the form's types must not carry into the store.

// ImageFiles lists the file names the form's questions and choices name as
// pictures (media::image, in every language), sorted, each once.
func (f *Form) ImageFiles() []string {
	var out []string
	add := func(l Label) {
		for _, s := range []string{l.EN, l.RU, l.KK} {
			if s != "" {
				out = append(out, s)
			}
		}
		for _, s := range l.Other {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	for _, q := range f.Questions {
		add(q.Image)
		for _, c := range q.Choices {
			add(c.Image)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
