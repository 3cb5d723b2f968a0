// Package media checks the media files of a form: the pictures its
// media::image cells name (form.ImageFiles), uploaded separately from the
// workbook as in ODK Central. It is apart from package form because it
// sniffs a file's type with net/http's DetectContentType, and the form's
// types, which the store stores, must not bring net/http into the store's
// import graph (docs/architecture.md).
package media

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// MaxBytes bounds one media file: a picture beside a label, which every
// observer's phone downloads with the form.
const MaxBytes = 5 << 20

// mediaTypes are the pictures accepted, by sniffed content type, with the
// file name extensions that may carry each. SVG is not among them: it is a
// document that can run script, served from the portal's own origin.
var mediaTypes = map[string][]string{
	"image/png":  {".png"},
	"image/jpeg": {".jpg", ".jpeg"},
	"image/gif":  {".gif"},
	"image/webp": {".webp"},
}

// Check checks an uploaded media file against the form: its name must be
// one the form declares (form.ImageFiles), its size within MaxBytes, and
// its bytes a picture whose type matches the name's extension. It returns
// the sniffed content type to serve it with.
func Check(f *form.Form, name string, data []byte) (contentType string, err error) {
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
	if len(data) > MaxBytes {
		return "", fmt.Errorf("media file %q has %d bytes; at most %d (%d MiB) are accepted", name, len(data), MaxBytes, MaxBytes>>20)
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
