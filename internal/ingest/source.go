package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// source yields the records of one table: the header first, then the rows.
// A *csv.ParseError from next concerns one record; reading may go on.
type source interface {
	header() ([]string, error)
	// next returns the next record and the line (XLSX: row) it starts on.
	next() ([]string, int, error)
	// numeric reports whether cells are spreadsheet numbers, which may be
	// written with a zero fraction ("12.0").
	numeric() bool
	close() error
}

// csvSource reads delimited text.
type csvSource struct {
	cr     *csv.Reader
	offset int // lines skipped before the header
	closer io.Closer
}

// maxHeaderPeek bounds the header line looked at to detect the delimiter.
const maxHeaderPeek = 1 << 16

func newCSVSource(r io.Reader, m *Mapping, closer io.Closer) (*csvSource, error) {
	dec, err := decoderFor(m.Encoding)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, maxHeaderPeek)
	if dec == nil {
		// A UTF-16 byte-order mark (Excel's "Unicode text" export) picks
		// UTF-16 by itself.
		if b, err := br.Peek(2); err == nil && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
			dec = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
		}
	}
	if dec != nil {
		br = bufio.NewReaderSize(transform.NewReader(br, dec.NewDecoder()), maxHeaderPeek)
	}
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	for i := 0; i < m.SkipLines; i++ {
		if err := skipLine(br); err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("the file ends within the %d lines to skip before the header", m.SkipLines)
			}
			return nil, err
		}
	}
	delim := m.Delimiter
	if delim == 0 {
		line, err := peekLine(br)
		if err != nil {
			return nil, err
		}
		delim = detectDelimiter(line)
	}
	cr := csv.NewReader(newRecordLimit(br, delim, m.SkipLines))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvSource{cr: cr, offset: m.SkipLines, closer: closer}, nil
}

// maxRecordBytes bounds one CSV record. encoding/csv holds a record in
// memory whole, and an unbalanced quote makes the rest of the file one
// record: without a bound, memory would grow with the file. No results
// file has a row near a mebibyte.
var maxRecordBytes int64 = 1 << 20

// recordLimit fails the read once a record (a line, or lines joined by a
// quoted field) is longer than maxRecordBytes. It follows encoding/csv's
// quoting on the bytes as they pass, ahead of the csv reader, so a run of
// blank lines, which csv skips without holding them, is not one long
// record (it used to be reported as one), while line breaks inside an
// open quote are.
type recordLimit struct {
	r      io.Reader
	delim  byte // 0 when the delimiter is not one byte
	offset int  // lines before the stream (skipped lines)

	n          int64 // bytes of the current record so far
	lines      int   // line breaks seen
	start      int   // line breaks before the current record
	fieldStart bool  // at the start of a field
	inQuote    bool  // inside a quoted field…
	quote      bool  // …just after a quote in it
	bad        bool  // after a quoting error: csv drops the rest of the line
}

func newRecordLimit(r io.Reader, delim rune, offset int) *recordLimit {
	l := &recordLimit{r: r, offset: offset, fieldStart: true}
	if delim < utf8.RuneSelf {
		l.delim = byte(delim)
	}
	return l
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.n > maxRecordBytes {
		// Say why only when it is known: a quote still open is the usual
		// cause; a long line without one is just a long line.
		why := ""
		if l.inQuote {
			why = " (an unbalanced quote?)"
		}
		return 0, fmt.Errorf("from line %d: a record longer than %d KiB%s", l.offset+l.start+1, maxRecordBytes>>10, why)
	}
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		l.n++
		if c == '\n' {
			l.lines++
		}
		if l.inQuote {
			switch {
			case !l.quote:
				l.quote = c == '"'
				continue
			case c == '"': // an escaped quote
				l.quote = false
				continue
			}
			l.inQuote, l.quote = false, false
			switch c {
			case l.delim:
				l.fieldStart = true
				continue
			case '\n', '\r':
			default:
				l.bad = true
			}
		}
		switch {
		case c == '\n':
			l.n, l.start, l.fieldStart, l.bad = 0, l.lines, true, false
		case l.bad:
		case c == '"' && l.fieldStart:
			l.inQuote = true
		default:
			l.fieldStart = c == l.delim
		}
	}
	return n, err
}

func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		return err
	}
}

// peekLine returns the first line without consuming it (at most
// maxHeaderPeek bytes of it).
func peekLine(br *bufio.Reader) ([]byte, error) {
	for n := 512; ; n *= 2 {
		n = min(n, maxHeaderPeek)
		b, err := br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[:i], nil
		}
		if err != nil || n == maxHeaderPeek {
			if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
				return nil, err
			}
			return b, nil
		}
	}
}

// detectDelimiter picks the candidate separator that occurs most often
// outside quotes in the header line; comma on a tie or when none occurs.
func detectDelimiter(line []byte) rune {
	cands := []byte{',', ';', '\t', '|'}
	var count [4]int
	quoted := false
	for _, c := range line {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if i := bytes.IndexByte(cands, c); i >= 0 {
			count[i]++
		}
	}
	best := 0
	for i := range cands {
		if count[i] > count[best] {
			best = i
		}
	}
	return rune(cands[best])
}

func (s *csvSource) header() ([]string, error) {
	rec, err := s.cr.Read()
	if err == io.EOF {
		return nil, errors.New("the file has no header line")
	}
	if err != nil {
		return nil, err
	}
	return slices.Clone(rec), nil
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			pe.StartLine += s.offset
			pe.Line += s.offset
		}
		return nil, 0, err
	}
	line, _ := s.cr.FieldPos(0)
	return rec, line + s.offset, nil
}

func (s *csvSource) numeric() bool { return false }

func (s *csvSource) close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// xlsxSource reads one sheet of a workbook with excelize's streaming row
// iterator. Cells are read raw, without number formats: a format with
// thousands separators must not turn a count into text. Worksheets larger than xlsxMemLimit are unpacked to a temporary
// file instead of memory; the shared-strings table is held in memory.
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

const xlsxMemLimit = 1 << 20

// Zip bomb guards, checked on the archive's directory before excelize
// reads anything (archive/zip refuses an entry that unpacks to more than
// its directory says, so the declared sizes bind). Real workbooks of
// results compress about 10:1; a bomb compresses 1000:1.
var (
	// xlsxUnzipLimit bounds the unpacked size of a whole workbook.
	xlsxUnzipLimit int64 = 1 << 30
	// xlsxSharedStringsLimit bounds the shared-strings table, which
	// excelize holds in memory whole (several times its XML size).
	xlsxSharedStringsLimit int64 = 64 << 20
	// xlsxRatioLimit bounds the expansion of any part larger than
	// xlsxRatioFloor.
	xlsxRatioLimit int64 = 100
	xlsxRatioFloor int64 = 1 << 20
	// xlsxReadLimit bounds a workbook read from a stream (NewReader), which
	// is held in memory.
	xlsxReadLimit int64 = 256 << 20
)

// checkWorkbook refuses an archive whose parts unpack beyond the limits.
func checkWorkbook(files []*zip.File) error {
	var total int64
	for _, f := range files {
		size := int64(min(f.UncompressedSize64, 1<<62))
		total += size
		if total > xlsxUnzipLimit {
			return fmt.Errorf("the workbook unpacks to more than %d MiB (a zip bomb?)", xlsxUnzipLimit>>20)
		}
		if strings.EqualFold(path.Base(f.Name), "sharedStrings.xml") && size > xlsxSharedStringsLimit {
			return fmt.Errorf("the workbook's shared strings (%s) unpack to %d MiB, more than the %d MiB allowed (a zip bomb?)",
				f.Name, size>>20, xlsxSharedStringsLimit>>20)
		}
		if size > xlsxRatioFloor && size > xlsxRatioLimit*int64(f.CompressedSize64) {
			return fmt.Errorf("the workbook's part %s unpacks %d times its packed size (%d MiB), more than the %d times allowed (a zip bomb?)",
				f.Name, size/max(1, int64(f.CompressedSize64)), size>>20, xlsxRatioLimit)
		}
	}
	return nil
}

// excelizePanic turns a panic inside excelize (a malformed workbook it
// does not guard against) into an error: no input may crash the importer.
func excelizePanic(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("the workbook cannot be read (%v)", p)
	}
}

func newXLSXSource(f *excelize.File, m *Mapping) (_ *xlsxSource, err error) {
	var rows *excelize.Rows
	defer func() {
		if err != nil { // after excelizePanic, which runs first
			if rows != nil {
				rows.Close()
			}
			f.Close() // removes excelize's temporary files
		}
	}()
	defer excelizePanic(&err)
	sheet := m.Sheet
	if sheet == "" {
		list := f.GetSheetList()
		if len(list) == 0 {
			return nil, errors.New("the workbook has no sheets")
		}
		sheet = list[0]
	}
	if rows, err = f.Rows(sheet); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", sheet, err)
	}
	s := &xlsxSource{f: f, rows: rows}
	for i := 0; i < m.SkipLines; i++ {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("the sheet ends within the %d rows to skip before the header", m.SkipLines)
		}
		s.row++
	}
	return s, nil
}

func (s *xlsxSource) header() ([]string, error) {
	rec, _, err := s.next()
	if err == io.EOF {
		return nil, errors.New("the sheet has no header row")
	}
	return rec, err
}

func (s *xlsxSource) next() (_ []string, _ int, err error) {
	defer excelizePanic(&err)
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, 0, err
		}
		return nil, 0, io.EOF
	}
	s.row++
	rec, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, 0, err
	}
	return rec, s.row, nil
}

func (s *xlsxSource) numeric() bool { return true }

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	if err2 := s.f.Close(); err == nil {
		err = err2
	}
	return err
}

func openXLSX(name string, r io.Reader) (_ *excelize.File, err error) {
	defer excelizePanic(&err)
	opts := excelize.Options{UnzipXMLSizeLimit: xlsxMemLimit, UnzipSizeLimit: xlsxUnzipLimit}
	if r == nil {
		zr, err := zip.OpenReader(name)
		if err != nil {
			return nil, fmt.Errorf("not an XLSX workbook: %w", err)
		}
		err = checkWorkbook(zr.File)
		zr.Close()
		if err != nil {
			return nil, err
		}
		return excelize.OpenFile(name, opts)
	}
	b, err := io.ReadAll(io.LimitReader(r, xlsxReadLimit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > xlsxReadLimit {
		return nil, fmt.Errorf("a workbook larger than %d MiB", xlsxReadLimit>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not an XLSX workbook: %w", err)
	}
	if err := checkWorkbook(zr.File); err != nil {
		return nil, err
	}
	return excelize.OpenReader(bytes.NewReader(b), opts)
}

// pickEntry chooses the file to read inside a zip archive: the one named by
// the mapping, else the only file, else the one named like the archive
// without ".zip".
func pickEntry(files []*zip.File, zipName, want string) (*zip.File, error) {
	var cands []*zip.File
	for _, f := range files {
		base := path.Base(f.Name)
		if strings.HasSuffix(f.Name, "/") || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(base, ".") {
			continue
		}
		cands = append(cands, f)
	}
	if want != "" {
		for _, f := range cands {
			if f.Name == want {
				return f, nil
			}
		}
		for _, f := range cands {
			if path.Base(f.Name) == want {
				return f, nil
			}
		}
		return nil, fmt.Errorf("no file %q in the archive (it holds %s)", want, entryNames(cands))
	}
	switch len(cands) {
	case 0:
		return nil, errors.New("the archive holds no file")
	case 1:
		return cands[0], nil
	}
	stem := strings.TrimSuffix(filepath.Base(zipName), filepath.Ext(zipName))
	for _, f := range cands {
		if path.Base(f.Name) == stem {
			return f, nil
		}
	}
	return nil, fmt.Errorf("the archive holds several files (%s): name one with \"entry\" in the mapping", entryNames(cands))
}

func entryNames(files []*zip.File) string {
	var names []string
	for i, f := range files {
		if i == 10 {
			names = append(names, "…")
			break
		}
		names = append(names, fmt.Sprintf("%q", f.Name))
	}
	return strings.Join(names, ", ")
}

// decoderFor returns the decoder of a named encoding, or nil for UTF-8.
func decoderFor(name string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.ReplaceAll(name, "_", "-")) {
	case "", "utf-8", "utf8":
		return nil, nil
	case "windows-1251", "cp1251":
		return charmap.Windows1251, nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252, nil
	case "iso-8859-1", "latin1", "latin-1":
		return charmap.ISO8859_1, nil
	case "iso-8859-2", "latin2", "latin-2":
		return charmap.ISO8859_2, nil
	case "windows-1250", "cp1250":
		return charmap.Windows1250, nil
	case "koi8-r":
		return charmap.KOI8R, nil
	case "utf-16", "utf16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	}
	return nil, fmt.Errorf("unknown encoding %q (known: utf-8, utf-16, utf-16le, utf-16be, windows-1250, windows-1251, windows-1252, iso-8859-1, iso-8859-2, koi8-r)", name)
}

// multiCloser closes a stack of readers (gzip stream, zip entry, file), nil
// ones skipped.
type multiCloser []io.Closer

func (mc multiCloser) Close() error {
	var first error
	for _, c := range mc {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func newGzip(r io.Reader) (*gzip.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %w", err)
	}
	return zr, nil
}
