package media

import (
	"bytes"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mediaForm names pictures in its question and choices, in three
// languages (form's TestImageFiles lists them from the same form).
func mediaForm() *form.Form {
	return &form.Form{ID: "m", Version: "1", Questions: []form.Question{
		{ID: "q", Type: form.SingleChoice, Label: form.Label{EN: "Q"}, Image: form.Label{EN: "booth.png"},
			Choices: []form.Choice{{Value: "a", Label: form.Label{EN: "A"}, Image: form.Label{EN: "a.jpg", RU: "a-ru.jpg", Other: map[string]string{"Hindi (hi)": "a-hi.png"}}}, {Value: "b", Label: form.Label{EN: "B"}, Image: form.Label{EN: "booth.png"}}}},
	}}
}

func TestCheck(t *testing.T) {
	f := mediaForm()
	pic := pngBytes(t)
	if ct, err := Check(f, "booth.png", pic); err != nil || ct != "image/png" {
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
		{"booth.png", append(slices.Clone(pic), make([]byte, MaxBytes)...), "at most"},
		{"booth.png", svg, "not a PNG"},
		{"booth.png", []byte("plain text, not a picture"), "not a PNG"},
		{"a.jpg", pic, "name ends in"},
	} {
		if _, err := Check(f, c.name, c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (%d bytes): %v, want %q", c.name, len(c.data), err, c.want)
		}
	}
	if _, err := Check(&form.Form{ID: "x", Version: "1"}, "a.png", pic); err == nil || !strings.Contains(err.Error(), "names no media") {
		t.Errorf("form without pictures: %v", err)
	}
}
