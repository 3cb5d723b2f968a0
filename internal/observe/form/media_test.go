package form

import (
	"bytes"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

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

func TestCheckMediaFile(t *testing.T) {
	f := mediaForm()
	pic := pngBytes(t)
	if ct, err := f.CheckMediaFile("booth.png", pic); err != nil || ct != "image/png" {
		t.Fatalf("declared PNG: %q, %v", ct, err)
	}
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"other.png", pic, "does not name"},
		{"../booth.png", pic, "does not name"},
		{"booth.png", nil, "empty"},
		{"booth.png", append(slices.Clone(pic), make([]byte, MaxMediaBytes)...), "at most"},
		{"booth.png", svg, "not a PNG"},
		{"booth.png", []byte("plain text, not a picture"), "not a PNG"},
		{"a.jpg", pic, "name ends in"},
	} {
		if _, err := f.CheckMediaFile(c.name, c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (%d bytes): %v, want %q", c.name, len(c.data), err, c.want)
		}
	}
	if _, err := (&Form{ID: "x", Version: "1"}).CheckMediaFile("a.png", pic); err == nil || !strings.Contains(err.Error(), "names no media") {
		t.Errorf("form without pictures: %v", err)
	}
}
