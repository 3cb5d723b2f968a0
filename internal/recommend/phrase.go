package recommend

import "strings"

// Phrase is a sentence of vigil's own, kept as a key of the drafts' words
// and its arguments, so that a draft words it in its own language.
// Sources outside this package (integrity results, proposals) give their
// sentences as phrases as well as in English text, which their JSON
// keeps. An argument may itself be a Phrase, a []Phrase (joined by "; "),
// or a Status (its title in the language); anything else is formatted as
// it is (names, figures: data).
type Phrase struct {
	Key  string
	Args []any
}

// P is a Phrase.
func P(key string, args ...any) Phrase { return Phrase{Key: key, Args: args} }

// Say words a phrase in a language ("en", "ru", "kk"; English for any
// other tag).
func Say(lang string, p Phrase) string { return words(DraftLang(lang)).say(p) }

// HasWords reports whether the drafts' words have the key (in English,
// which every language must match; see TestDraftWordsComplete).
func HasWords(key string) bool {
	_, ok := draftWords["en"][key]
	return ok
}

func (w words) say(p Phrase) string {
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		switch a := a.(type) {
		case Phrase:
			args[i] = w.say(a)
		case []Phrase:
			parts := make([]string, len(a))
			for j, q := range a {
				parts[j] = w.say(q)
			}
			args[i] = strings.Join(parts, "; ")
		case Status:
			args[i] = w.status(a)
		default:
			args[i] = a
		}
	}
	return w.T(p.Key, args...)
}

// lookup is the language's word for key, and whether there is one (in
// that language, or in English).
func (w words) lookup(key string) (string, bool) {
	if m, ok := draftWords[string(w)][key]; ok {
		return m, true
	}
	m, ok := draftWords["en"][key]
	return m, ok
}
