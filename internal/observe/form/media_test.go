package form

import (
	"slices"
	"testing"
)

func mediaForm() *Form {
	return &Form{ID: "m", Version: "1", Questions: []Question{
		{ID: "q", Type: SingleChoice, Label: Label{EN: "Q"}, Image: Label{EN: "booth.png"},
			Choices: []Choice{{Value: "a", Label: Label{EN: "A"}, Image: Label{EN: "a.jpg", RU: "a-ru.jpg", Other: map[string]string{"Hindi (hi)": "a-hi.png"}}}, {Value: "b", Label: Label{EN: "B"}, Image: Label{EN: "booth.png"}}}},
	}}
}

func TestImageFiles(t *testing.T) {
	got := mediaForm().ImageFiles()
	want := []string{"a-hi.png", "a-ru.jpg", "a.jpg", "booth.png"}
	if !slices.Equal(got, want) {
		t.Fatalf("ImageFiles = %q, want %q", got, want)
	}
	if n := (&Form{ID: "x"}).ImageFiles(); len(n) != 0 {
		t.Fatalf("a form without pictures: %q", n)
	}
}
