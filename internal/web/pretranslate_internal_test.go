package web

import (
	"html/template"
	"testing"
	"text/template/parse"
)

// TestPretranslateReplacesEveryFixedWord: once pre-translated, no template
// of any language still translates a literal key or names the language by
// a call (every such action of today's templates stands where its escaping
// is reproduced); and the untranslated set keeps them all.
func TestPretranslateReplacesEveryFixedWord(t *testing.T) {
	base, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	count := func(set *template.Template) int {
		n := 0
		for _, x := range set.Templates() {
			if x.Tree != nil && x.Tree.Root != nil {
				walkActions(x.Tree.Root, func(a *parse.ActionNode) parse.Node {
					if _, ok := literalCall(a.Pipe, 0); ok {
						n++
					}
					return a
				})
			}
		}
		return n
	}
	before := count(base)
	if before < 400 {
		t.Fatalf("%d fixed words in the templates: the walk misses them", before)
	}
	ls, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.bindLanguages(base); err != nil {
		t.Fatal(err)
	}
	for tag, set := range ls.pages {
		if n := count(set); n != 0 {
			t.Errorf("%s: %d fixed words still called", tag, n)
		}
	}
	if n := count(base); n != before {
		t.Errorf("the untranslated set lost %d of its %d calls", before-n, before)
	}
}
