package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"golang.org/x/text/language"
)

// The portal's user-visible strings live in i18n/<tag>.json, one flat object
// of key → text per language, and in i18n/<tag>.<area>.json for the strings
// another area of vigil owns (merged into the same catalogue; a key may be
// in only one file). English is the reference and the fallback for a key
// another language lacks. Adding a file adds a language: i18n/kk.json makes
// Kazakh selectable, with no code change.
//
//go:embed i18n/*.json
var i18nFS embed.FS

// langCookie remembers a reader's explicit choice of language.
const langCookie = "vigil_lang"

// catalogue is one language's messages.
type catalogue struct {
	Tag  string            // BCP 47, e.g. "ru"
	Name string            // the language's own name, from the key "lang.name"
	msgs map[string]string // key → text
	base language.Base
}

// languages holds every catalogue and the template set bound to each.
type languages struct {
	list    []*catalogue // en first, then by tag
	byTag   map[string]*catalogue
	matcher language.Matcher
	pages   map[string]*template.Template
}

func loadCatalogues() (*languages, error) { return loadCataloguesFrom(i18nFS) }

// loadCataloguesFrom reads every i18n/*.json of fsys.
func loadCataloguesFrom(fsys fs.FS) (*languages, error) {
	files, err := fs.ReadDir(fsys, "i18n")
	if err != nil {
		return nil, err
	}
	ls := &languages{byTag: map[string]*catalogue{}, pages: map[string]*template.Template{}}
	// <tag>.json, and <tag>.<area>.json for the strings of one area of
	// vigil (recommendations, observation), merged into one catalogue per
	// language: each area edits its own file.
	for _, f := range files {
		if path.Ext(f.Name()) != ".json" {
			continue
		}
		b, err := fs.ReadFile(fsys, "i18n/"+f.Name())
		if err != nil {
			return nil, err
		}
		var msgs map[string]string
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("i18n/%s: %w", f.Name(), err)
		}
		tagName, _, _ := strings.Cut(strings.TrimSuffix(f.Name(), ".json"), ".")
		c := ls.byTag[tagName]
		if c == nil {
			tag, err := language.Parse(tagName)
			if err != nil {
				return nil, fmt.Errorf("i18n/%s: %w", f.Name(), err)
			}
			c = &catalogue{Tag: tagName, msgs: map[string]string{}}
			c.base, _ = tag.Base()
			ls.list = append(ls.list, c)
			ls.byTag[c.Tag] = c
		}
		for k, v := range msgs {
			if _, dup := c.msgs[k]; dup {
				return nil, fmt.Errorf("i18n/%s: key %q is already in another %s file", f.Name(), k, tagName)
			}
			c.msgs[k] = v
		}
	}
	for _, c := range ls.list {
		c.Name = c.msgs["lang.name"]
		if c.Name == "" {
			c.Name = c.Tag
		}
	}
	en := ls.byTag["en"]
	if en == nil {
		return nil, fmt.Errorf("i18n: en.json, the reference catalogue, is missing")
	}
	sort.Slice(ls.list, func(i, j int) bool {
		if (ls.list[i] == en) != (ls.list[j] == en) {
			return ls.list[i] == en
		}
		return ls.list[i].Tag < ls.list[j].Tag
	})
	tags := make([]language.Tag, len(ls.list))
	for i, c := range ls.list {
		tags[i] = language.MustParse(c.Tag)
		if c != en {
			for k, v := range en.msgs {
				if _, ok := c.msgs[k]; !ok {
					c.msgs[k] = v // fall back to English, key by key
				}
			}
		}
	}
	ls.matcher = language.NewMatcher(tags)
	return ls, nil
}

// T returns the message of key, formatted with args when there are any.
// An unknown key is shown as itself, so a missing string is visible on the
// page rather than blank.
func (c *catalogue) T(key string, args ...any) string {
	m, ok := c.msgs[key]
	if !ok {
		m = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// Pct writes a fraction as a percentage in the language's decimal
// separator (the key "num.decimal"), "–" when unknown.
func (c *catalogue) Pct(x float64) string {
	s := pctString(x)
	if d := c.msgs["num.decimal"]; d != "" && d != "." {
		s = strings.Replace(s, ".", d, 1)
	}
	return s
}

// N returns the plural form of key for n ("key.one", "key.few", "key.many",
// "key.other", by the language's CLDR cardinal rule), formatted with n.
func (c *catalogue) N(key string, n int) string {
	form := pluralForm(c.Tag, n)
	if m, ok := c.msgs[key+"."+form]; ok {
		return fmt.Sprintf(m, formatInt(int64(n)))
	}
	if m, ok := c.msgs[key+".other"]; ok {
		return fmt.Sprintf(m, formatInt(int64(n)))
	}
	return key
}

// pluralForm is the CLDR cardinal category of an integer n in a language:
// the East Slavic rule for Russian and Ukrainian, one/other otherwise
// (English and Kazakh).
func pluralForm(tag string, n int) string {
	if n < 0 {
		n = -n
	}
	switch tag {
	case "ru", "uk", "be":
		switch {
		case n%10 == 1 && n%100 != 11:
			return "one"
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return "few"
		default:
			return "many"
		}
	}
	if n == 1 {
		return "one"
	}
	return "other"
}

// pick chooses the language of a request: ?lang= first, then the cookie a
// previous ?lang= set, then the browser's Accept-Language, then English.
func (ls *languages) pick(r *http.Request) *catalogue {
	if q := r.URL.Query().Get("lang"); q != "" {
		if c := ls.byTag[q]; c != nil {
			return c
		}
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		if c := ls.byTag[ck.Value]; c != nil {
			return c
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		if c := ls.fromHeader(al); c != nil {
			return c
		}
	}
	return ls.list[0]
}

func (ls *languages) fromHeader(al string) *catalogue {
	tags, _, err := language.ParseAcceptLanguage(al)
	if err != nil || len(tags) == 0 {
		return nil
	}
	_, i, conf := ls.matcher.Match(tags...)
	if conf == language.No {
		return nil
	}
	return ls.list[i]
}

// remember sets the language cookie when the request chose one with ?lang=.
func (ls *languages) remember(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("lang")
	if q == "" || ls.byTag[q] == nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()), SameSite: http.SameSiteLaxMode, HttpOnly: true})
}

// i18nFuncs are the template functions that depend on the language. The
// placeholders here let the templates parse; bindLanguage replaces them in
// each language's clone of the template set.
var i18nFuncs = template.FuncMap{
	"t":         func(key string, args ...any) string { return key },
	"tn":        func(key string, n int) string { return key },
	"lang":      func() string { return "en" },
	"languages": func() []*catalogue { return nil },
	"control":   func(code string) string { return code },
	"tdef":      func(key, fallback string) string { return fallback },
	"enav":      func(PageCommon) (template.HTML, error) { return "", nil },
}

func init() {
	for k, v := range i18nFuncs {
		templateFuncs[k] = v
	}
	for k, v := range portalFuncs {
		templateFuncs[k] = v
	}
}

// bindLanguages clones the parsed template set once per language, with t,
// tn and lang bound to that language's catalogue and its fixed words
// pre-translated (pretranslate.go).
func (ls *languages) bindLanguages(base *template.Template) error {
	contexts, err := textContexts(base)
	if err != nil {
		return err
	}
	for _, c := range ls.list {
		t, err := base.Clone()
		if err != nil {
			return err
		}
		c := c
		t.Funcs(template.FuncMap{
			"t":    c.T,
			"tn":   c.N,
			"lang": func() string { return c.Tag },
			"pct":  c.Pct,
			"control": func(code string) string {
				if m, ok := c.msgs["control."+code]; ok {
					return m
				}
				return election.ControlMessage(code) // a control newer than the catalogue
			},
			"languages": func() []*catalogue { return ls.list },
			"enav":      (&navCache{t: t}).render,
			// tdef is t for keys made from data (an indicator's name), with
			// what to show when the catalogue has no such key.
			"tdef": func(key, fallback string) string {
				if m, ok := c.msgs[key]; ok {
					return m
				}
				return fallback
			},
		})
		pretranslate(t, contexts, c)
		ls.pages[c.Tag] = t
	}
	return nil
}

// Lang is the language tag of the catalogue the request asks for
// (?lang=, its cookie, Accept-Language), as the pages are rendered in.
func (s *Server) Lang(r *http.Request) string { return s.portal.langs.pick(r).Tag }
