package form_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/xlsform"
)

// TestODKEngineAgrees loads vigil's XForms in ODK's own form engine and
// checks the instances it serialises (form.ODKEngineAgrees says what): the
// built-in forms, and every workbook of pyxform's corpus
// (xlsform/testdata/pyxform) that vigil imports, read by form/xlsform.
func TestODKEngineAgrees(t *testing.T) {
	form.ODKEngineAgrees(t, func() map[string]*form.Form {
		files, err := filepath.Glob("xlsform/testdata/pyxform/*.xlsx")
		if err != nil || len(files) == 0 {
			t.Fatalf("no corpus: %v", err)
		}
		forms := map[string]*form.Form{}
		for _, path := range files {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(path)
			// The workbooks vigil refuses are xlsform's
			// TestPyxformCorpusImports' business, not the engine's.
			if f, err := xlsform.ImportFile(bytes.NewReader(raw), name); err == nil {
				forms[name] = f
			}
		}
		return forms
	})
}
