// Package xlsxcheck reads an XLSX file's worksheets as XML, the way strict
// readers do, so that tests can check what vigil's workbooks declare:
// openpyxl in read-only mode and pyxform trust a worksheet's
// <dimension ref>, and a wrong one (excelize's streaming writer leaves "A1"
// unless told) makes them see a single cell.
package xlsxcheck

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Sheet is what one worksheet part declares and holds.
type Sheet struct {
	Part     string // "xl/worksheets/sheet1.xml"
	Declared string // the <dimension ref>, "" when absent
	Used     string // the range of the cells it holds, "A1:K5" ("" when empty)
}

// Sheets reads every worksheet part of an XLSX file.
func Sheets(xlsx []byte) ([]Sheet, error) {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		return nil, err
	}
	var out []Sheet
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") || !strings.HasSuffix(f.Name, ".xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		s, err := readSheet(f.Name, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func readSheet(part string, r io.Reader) (Sheet, error) {
	s := Sheet{Part: part}
	dec := xml.NewDecoder(r)
	minC, minR, maxC, maxR := 0, 0, 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s, fmt.Errorf("%s: %w", part, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		ref := ""
		for _, a := range el.Attr {
			if a.Name.Local == "ref" || a.Name.Local == "r" {
				ref = a.Value
			}
		}
		switch el.Name.Local {
		case "dimension":
			s.Declared = ref
		case "c":
			c, r, err := excelize.CellNameToCoordinates(ref)
			if err != nil {
				return s, fmt.Errorf("%s: cell %q: %w", part, ref, err)
			}
			if minC == 0 || c < minC {
				minC = c
			}
			if minR == 0 || r < minR {
				minR = r
			}
			maxC, maxR = max(maxC, c), max(maxR, r)
		}
	}
	if maxC > 0 {
		a, _ := excelize.CoordinatesToCellName(minC, minR)
		b, _ := excelize.CoordinatesToCellName(maxC, maxR)
		s.Used = a + ":" + b
	}
	return s, nil
}

// Range is the reference of a block of cols × rows cells from A1
// ("A1:K5"), the dimension a writer declares.
func Range(cols, rows int) string {
	b, _ := excelize.CoordinatesToCellName(max(cols, 1), max(rows, 1))
	return "A1:" + b
}
