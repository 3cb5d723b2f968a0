package xlsform

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/formtest"
	"github.com/vigil-elections/vigil/internal/xlsxcheck"
)

// checklist is the voting checklist's sheets, by name.
func checklist() map[string][][]string {
	return map[string][][]string{"survey": formtest.XLSSurvey(), "choices": formtest.XLSChoices(), "settings": formtest.XLSSettings()}
}

func xlsxBytes(t testing.TB, sheets map[string][][]string) []byte {
	t.Helper()
	wb := excelize.NewFile()
	defer wb.Close()
	first := true
	for _, name := range []string{"survey", "choices", "settings"} {
		rows, ok := sheets[name]
		if !ok {
			continue
		}
		if first {
			if err := wb.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
			first = false
		} else if _, err := wb.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			cells := make([]any, len(row))
			for j, c := range row {
				cells[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := wb.SetSheetRow(name, cell, &cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImport: a workbook of the checklist's sheets imports to the form
// its rows make; a file that is not a workbook, or a workbook without a
// survey sheet, is refused.
func TestImport(t *testing.T) {
	b := xlsxBytes(t, checklist())
	f, err := Import(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	g, err := form.FromXLSFormRows(formtest.XLSSurvey(), formtest.XLSChoices(), formtest.XLSSettings())
	if err != nil {
		t.Fatal(err)
	}
	if string(form.XForm(f)) != string(form.XForm(g)) {
		t.Error("workbook import differs from the row import")
	}
	if _, err := Import(strings.NewReader("not a zip")); err == nil {
		t.Error("garbage accepted")
	}
	b = xlsxBytes(t, map[string][][]string{"choices": formtest.XLSChoices()})
	if _, err := Import(bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "no survey sheet") {
		t.Errorf("no survey: %v", err)
	}
}

// TestWorkbookRoundTrip: the counting form, with its protocol block,
// comes back from the workbook Export writes as the same XForm (form's
// TestXLSFormRoundTrip holds the same of the rows, without a workbook).
func TestWorkbookRoundTrip(t *testing.T) {
	f := form.BindElection(form.CountingTemplate(), formtest.Election())
	b, err := Export(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Import(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(form.XForm(f), form.XForm(g)) {
		t.Error("counting form changed through a workbook")
	}
}

// withPart returns a copy of a workbook with one part replaced.
func withPart(t *testing.T, xlsx []byte, name, content string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			io.WriteString(w, content)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Malformed worksheets inside a valid workbook end in an error or a form,
// never in a panic.
func TestImportMalformedSheets(t *testing.T) {
	b := xlsxBytes(t, checklist())
	const ns = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	for _, sheet := range []string{
		``,
		`not xml`,
		ns + `<row r="1"><c r="A1" t="s"><v>99999</v></c></row></sheetData></worksheet>`,
		ns + `<row r="1048577"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`,
		ns + `<row><c r="XFD1" t="s"><v>-1</v></c></row></sheetData></worksheet>`,
		ns + `<row r="0"><c r="A0"><v>x</v></c></row></sheetData></worksheet>`,
		ns + `<row r="1"><c r="ZZZZ1" t="inlineStr"><is><t>type</t></is></c></row></sheetData></worksheet>`,
		ns + `<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>` +
			`<row r="2"><c r="A2" t="inlineStr"><is><t>text</t></is></c><c r="B2" t="inlineStr"><is><t>a b</t></is></c></row></sheetData></worksheet>`,
	} {
		_, err := Import(bytes.NewReader(withPart(t, b, "xl/worksheets/sheet1.xml", sheet)))
		if err == nil {
			t.Errorf("%.60q: accepted", sheet)
		} else {
			t.Logf("%.50q: %v", sheet, err)
		}
	}
}

// TestExportDeclaresDimension: each sheet's <dimension ref> is the
// range its cells fill, as pyxform (openpyxl read-only) needs.
func TestExportDeclaresDimension(t *testing.T) {
	for _, tmpl := range form.Templates() {
		f := form.BindElection(tmpl, formtest.Election())
		b, err := Export(f)
		if err != nil {
			t.Fatal(err)
		}
		sheets, err := xlsxcheck.Sheets(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(sheets) != 3 {
			t.Fatalf("%s: %d sheets", f.ID, len(sheets))
		}
		for _, s := range sheets {
			if s.Declared == "" || s.Declared != s.Used || s.Declared == "A1" {
				t.Errorf("%s %s: <dimension ref=%q>, cells fill %q", f.ID, s.Part, s.Declared, s.Used)
			}
		}
	}
}
