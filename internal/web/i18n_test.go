package web

import (
	"encoding/json"
	"io/fs"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigil-elections/vigil/internal/election"
)

func TestCataloguesComplete(t *testing.T) {
	ls, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]map[string]string{}
	files, _ := fs.Glob(i18nFS, "i18n/*.json")
	for _, f := range files {
		b, _ := fs.ReadFile(i18nFS, f)
		m := map[string]string{}
		if err := jsonUnmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		tag, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(f, "i18n/"), ".json"), ".")
		if raw[tag] == nil {
			raw[tag] = map[string]string{}
		}
		for k, v := range m {
			raw[tag][k] = v
		}
	}
	if len(raw) != len(ls.list) {
		t.Fatalf("%d languages in the files, %d loaded", len(raw), len(ls.list))
	}
	en := raw["en"]
	for tag, m := range raw {
		for k := range en {
			if _, ok := m[k]; !ok && !pluralVariant(k) {
				t.Errorf("%s.json lacks %q", tag, k)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok && !pluralVariant(k) {
				t.Errorf("%s.json has %q, which en.json (the reference) lacks", tag, k)
			}
		}
	}
	// Every literal key the templates use exists in English, and the keys
	// made from data (figures, sources, controls) too.
	used := regexp.MustCompile(`\b(?:t|tn) "([a-z0-9_.-]+)"`)
	tmpls, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range tmpls {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if _, ok := en[k]; !ok {
				if _, ok := en[k+".other"]; !ok {
					t.Errorf("%s uses %q, missing from en.json", f, k)
				}
			}
		}
	}
	for fig := election.Figure(0); fig < election.NumFigures; fig++ {
		if _, ok := en["figure."+fig.String()]; !ok {
			t.Errorf("no text for figure %s", fig)
		}
	}
	for _, src := range election.Sources {
		if _, ok := en["source."+string(src)]; !ok {
			t.Errorf("no text for source %s", src)
		}
	}
	for _, c := range election.Controls {
		if _, ok := en["control."+c.Code]; !ok {
			t.Errorf("no text for control %s", c.Code)
		}
	}
}

func pluralVariant(k string) bool {
	return regexp.MustCompile(`\.(one|few|many|other)$`).MatchString(k)
}

func TestRussianPlurals(t *testing.T) {
	for n, want := range map[int]string{0: "many", 1: "one", 2: "few", 4: "few", 5: "many", 11: "many", 12: "many", 21: "one", 22: "few", 25: "many", 111: "many", 101: "one"} {
		if got := pluralForm("ru", n); got != want {
			t.Errorf("ru %d: %s, want %s", n, got, want)
		}
	}
	if pluralForm("en", 1) != "one" || pluralForm("en", 2) != "other" || pluralForm("kk", 0) != "other" {
		t.Error("English/Kazakh plural forms")
	}
}

// TestAddingALanguageFile checks that a catalogue file is all a language
// needs: a kk.json makes Kazakh selectable by Accept-Language and ?lang=,
// with English filling the keys it lacks.
func TestAddingALanguageFile(t *testing.T) {
	fsys := fstest.MapFS{
		"i18n/en.json": {Data: []byte(`{"lang.name":"English","home.title":"Elections","skip":"Skip"}`)},
		"i18n/ru.json": {Data: []byte(`{"lang.name":"Русский","home.title":"Выборы","skip":"Перейти"}`)},
		"i18n/kk.json": {Data: []byte(`{"lang.name":"Қазақша","home.title":"Сайлау"}`)},
		// An area's own file joins its language's catalogue.
		"i18n/kk.recs.json": {Data: []byte(`{"rec.title":"Ұсыныстар"}`)},
	}
	ls, err := loadCataloguesFrom(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.list) != 3 || ls.list[0].Tag != "en" {
		t.Fatalf("languages %v", ls.list)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "kk-KZ,kk;q=0.9,ru;q=0.8")
	c := ls.pick(r)
	if c.Tag != "kk" || c.T("home.title") != "Сайлау" || c.T("skip") != "Skip" || c.T("rec.title") != "Ұсыныстар" {
		t.Fatalf("picked %s: %q %q", c.Tag, c.T("home.title"), c.T("skip"))
	}
	r = httptest.NewRequest("GET", "/?lang=ru", nil)
	r.Header.Set("Accept-Language", "kk")
	if c := ls.pick(r); c.Tag != "ru" {
		t.Fatalf("?lang=ru picked %s", c.Tag)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "de-DE,fr;q=0.8")
	if c := ls.pick(r); c.Tag != "en" {
		t.Fatalf("German and French fall back to English, got %s", c.Tag)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestDuplicateKeyAcrossFiles(t *testing.T) {
	_, err := loadCataloguesFrom(fstest.MapFS{
		"i18n/en.json":      {Data: []byte(`{"a":"1"}`)},
		"i18n/en.recs.json": {Data: []byte(`{"a":"2"}`)},
	})
	if err == nil || !strings.Contains(err.Error(), `key "a"`) {
		t.Fatalf("a key in two files: %v", err)
	}
}

// TestScriptsHoldNoWords extends the catalogue check to the scripts: the
// words a script shows come from the page (data-msg-* and data-*
// attributes filled from the catalogue), so that a translated page has no
// English left in its script. Every msg("name") of observe.js has its
// data-msg-name attribute on the form, filled by {{t}}; and no script
// holds an English sentence of its own (a string literal of two or more
// words; the service worker's offline text, which cannot know the page's
// language, is given in every catalogue language).
func TestScriptsHoldNoWords(t *testing.T) {
	obs, err := fs.ReadFile(staticFS, "static/observe.js")
	if err != nil {
		t.Fatal(err)
	}
	form, err := fs.ReadFile(templateFS, "templates/observe_form.html")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`msg\("([a-z]+)"`).FindAllStringSubmatch(string(obs), -1)
	if len(used) < 5 {
		t.Fatalf("observe.js uses %d messages: the check reads nothing", len(used))
	}
	for _, m := range used {
		if !regexp.MustCompile(`data-msg-` + m[1] + `="\{\{t "[a-z0-9_.]+"\}\}"`).Match(form) {
			t.Errorf("observe.js says %q, which observe_form.html does not give from the catalogue", m[1])
		}
	}
	sentence := regexp.MustCompile(`"[A-Za-z][a-z']*(?: [a-z'(),.]+){1,}[^"]*"`)
	scripts, _ := fs.Glob(staticFS, "static/*.js")
	for _, f := range scripts {
		b, _ := fs.ReadFile(staticFS, f)
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			code, _, _ := strings.Cut(line, " // ")
			for _, lit := range sentence.FindAllString(code, -1) {
				if lit == `"use strict"` {
					continue
				}
				if strings.HasSuffix(f, "observe-sw.js") && strings.Contains(lit, "Нет сети") && strings.Contains(lit, "Желі жоқ") {
					continue
				}
				t.Errorf("%s:%d holds words of its own: %s", f, i+1, lit)
			}
		}
	}
}
