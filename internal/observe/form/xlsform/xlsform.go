// Package xlsform reads and writes XLSForm workbooks (.xlsx): the
// spreadsheet I/O around package form's sheet rows (form.FromXLSFormRows,
// form.XLSFormRows). It is apart from form so that the form's types, which
// the store stores, do not bring the spreadsheet library (and, through it,
// net/http) into the store's import graph (docs/architecture.md).
package xlsform

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// Import reads an XLSForm workbook (.xlsx) and builds the form; see
// form.FromXLSFormRows for what is supported. Sheet names are matched
// without regard to case.
func Import(r io.Reader) (*form.Form, error) {
	return ImportFile(r, "")
}

// ImportFile is Import for a workbook with a file name: as pyxform, a form
// whose settings give no form_id takes the name without its extension.
func ImportFile(r io.Reader, fileName string) (f *form.Form, err error) {
	// excelize panics on some malformed worksheets; an uploaded workbook
	// must not take the server down.
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("xlsform: the workbook cannot be read (%v)", p)
		}
	}()
	wb, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("xlsform: not a readable .xlsx workbook: %w", err)
	}
	defer wb.Close()
	sheets := map[string][][]string{}
	for _, name := range wb.GetSheetList() {
		key := strings.ToLower(strings.TrimSpace(name))
		switch key {
		case "survey", "choices", "settings":
		case "entities":
			rows, _ := wb.GetRows(name)
			if len(rows) > 1 {
				return nil, form.XLSFormErrors{{Sheet: name, Msg: "entities are not supported: vigil stores observations, not entity lists"}}
			}
			continue
		default:
			continue
		}
		rows, err := wb.GetRows(name)
		if err != nil {
			return nil, fmt.Errorf("xlsform: sheet %s: %w", name, err)
		}
		sheets[key] = rows
	}
	if _, ok := sheets["survey"]; !ok {
		return nil, form.XLSFormErrors{{Sheet: "survey", Msg: "the workbook has no survey sheet"}}
	}
	id := strings.TrimSuffix(path.Base(strings.ReplaceAll(fileName, `\`, "/")), path.Ext(fileName))
	if fileName == "" || !form.ValidID(id) {
		id = ""
	}
	return form.FromXLSFormRowsDefaultID(sheets["survey"], sheets["choices"], sheets["settings"], id)
}

// Export writes a form as an XLSForm workbook (.xlsx) with survey, choices
// and settings sheets (form.XLSFormRows); Import reads it back, and
// pyxform converts it to an XForm.
func Export(f *form.Form) ([]byte, error) {
	survey, choices, settings := form.XLSFormRows(f)
	wb := excelize.NewFile()
	defer wb.Close()
	sheets := []struct {
		name string
		rows [][]string
	}{{"survey", survey}, {"choices", choices}, {"settings", settings}}
	for i, sh := range sheets {
		if i == 0 {
			if err := wb.SetSheetName(wb.GetSheetName(0), sh.name); err != nil {
				return nil, err
			}
		} else if _, err := wb.NewSheet(sh.name); err != nil {
			return nil, err
		}
		for r, cells := range sh.rows {
			vals := make([]any, len(cells))
			for c, v := range cells {
				vals[c] = v
			}
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return nil, err
			}
			if err := wb.SetSheetRow(sh.name, cell, &vals); err != nil {
				return nil, fmt.Errorf("xlsform: sheet %s row %d: %w", sh.name, r+1, err)
			}
		}
		// Declare the used range: excelize leaves <dimension ref="A1">,
		// and pyxform (through openpyxl's read-only mode) trusts it.
		cols := 1
		for _, cells := range sh.rows {
			cols = max(cols, len(cells))
		}
		end, err := excelize.CoordinatesToCellName(cols, max(len(sh.rows), 1))
		if err != nil {
			return nil, err
		}
		if err := wb.SetSheetDimension(sh.name, "A1:"+end); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
