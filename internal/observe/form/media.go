package form

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
)

// Form media files: the pictures a form's media::image cells name. An
// XLSForm workbook does not contain them; as in ODK Central they are
// uploaded separately, one per name the form declares, and served with the
// station lists in the OpenRosa manifest.

// MaxMediaBytes bounds one media file: a picture beside a label, which
// every observer's phone downloads with the form.
const MaxMediaBytes = 5 << 20

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

// mediaTypes are the pictures accepted, by sniffed content type, with the
// file name extensions that may carry each. SVG is not among them: it is a
// document that can run script, served from the portal's own origin.
var mediaTypes = map[string][]string{
	"image/png":  {".png"},
	"image/jpeg": {".jpg", ".jpeg"},
	"image/gif":  {".gif"},
	"image/webp": {".webp"},
}

// CheckMediaFile checks an uploaded media file against the form: its name
// must be one the form declares (ImageFiles), its size within
// MaxMediaBytes, and its bytes a picture whose type matches the name's
// extension. It returns the sniffed content type to serve it with.
func (f *Form) CheckMediaFile(name string, data []byte) (contentType string, err error) {
	if !slices.Contains(f.ImageFiles(), name) {
		declared := f.ImageFiles()
		if len(declared) == 0 {
			return "", fmt.Errorf("form %s version %s names no media files (media::image): %q refused", f.ID, f.Version, name)
		}
		return "", fmt.Errorf("form %s version %s does not name %q; its media files are %s", f.ID, f.Version, name, strings.Join(declared, ", "))
	}
	if len(data) == 0 {
		return "", fmt.Errorf("media file %q is empty", name)
	}
	if len(data) > MaxMediaBytes {
		return "", fmt.Errorf("media file %q has %d bytes; at most %d (%d MiB) are accepted", name, len(data), MaxMediaBytes, MaxMediaBytes>>20)
	}
	ct := http.DetectContentType(data)
	exts, ok := mediaTypes[ct]
	if !ok {
		return "", fmt.Errorf("media file %q is %s, not a PNG, JPEG, GIF or WebP picture", name, ct)
	}
	if ext := strings.ToLower(path.Ext(name)); !slices.Contains(exts, ext) {
		return "", fmt.Errorf("media file %q is %s but its name ends in %q (want %s)", name, ct, ext, strings.Join(exts, " or "))
	}
	return ct, nil
}
