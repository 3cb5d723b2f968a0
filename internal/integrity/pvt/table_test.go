package pvt

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReadTableFormats(t *testing.T) {
	csvText := "id,estrato,A\r\n1,\"x\",3\n2,y,4\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(csvText))
	zw.Close()
	for name, in := range map[string][]byte{
		"csv":     []byte(csvText),
		"csv.gz":  gz.Bytes(),
		"remesas": []byte("2\nid|estrato|A\n1|x|3\n2|y|4\n"),
		"bom":     []byte("\ufeffid;estrato;A\n1;x;3\n2;y;4"),
	} {
		tab, err := ReadTable(bytes.NewReader(in), name, TableOptions{SkipLines: -1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := tab.Col("estrato")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := tab.Strings(c); len(got) != 2 || got[0] != "x" || got[1] != "y" {
			t.Errorf("%s: %q", name, got)
		}
		a, _ := tab.Col("a") // case-insensitive
		if v, err := tab.Numbers(a); err != nil || v[1] != 4 {
			t.Errorf("%s: %v %v", name, v, err)
		}
	}
	// Line numbers count the skipped line.
	tab, _ := ReadTable(strings.NewReader("2\nid|A\n1|3\n2|x\n"), "r.txt", TableOptions{SkipLines: -1})
	_, err := tab.Numbers(1)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 4 || ie.Column != "A" || ie.Value != "x" {
		t.Errorf("error %v", err)
	}
	if want := `r.txt:4: column A: value "x": expected a non-negative number`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// Explicit options.
	tab, err = ReadTable(strings.NewReader("junk\nid|A\n1|3\n"), "r.txt", TableOptions{SkipLines: 1, Delimiter: '|'})
	if err != nil || len(tab.Rows) != 1 || tab.Lines[0] != 3 {
		t.Errorf("skip 1: %v %v", tab, err)
	}
}

func TestReadTableErrors(t *testing.T) {
	for name, c := range map[string]struct {
		in   string
		line int
	}{
		"short row":     {"a,b\n1,2\n3\n", 3},
		"count differs": {"5\na|b\n1|2\n", 1},
		"bad quote":     {"a,b\n1,\"2\n", 2},
		"empty":         {"", 1},
	} {
		_, err := ReadTable(strings.NewReader(c.in), "f.csv", TableOptions{SkipLines: -1})
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: error %v", name, err)
			continue
		}
		if ie.Line != c.line {
			t.Errorf("%s: line %d, want %d (%v)", name, ie.Line, c.line, err)
		}
	}
	tab, _ := ReadTable(strings.NewReader("a\n1\n"), "f.csv", TableOptions{})
	if _, err := tab.Col("b"); err == nil || !strings.Contains(err.Error(), "a column among a") {
		t.Errorf("missing column: %v", err)
	}
}

func TestTimes(t *testing.T) {
	tab, _ := ReadTable(strings.NewReader("t,y,mo,d,h,mi,s\n2018-07-01 20:19:47,2018,7,1,20,19,47\n"), "f", TableOptions{})
	one, err := tab.Times([]int{0})
	if err != nil {
		t.Fatal(err)
	}
	six, err := tab.Times([]int{1, 2, 3, 4, 5, 6})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2018, 7, 1, 20, 19, 47, 0, time.UTC)
	if !one[0].Equal(want) || !six[0].Equal(want) {
		t.Errorf("%v %v", one, six)
	}
	if _, err := tab.Times([]int{1}); err == nil {
		t.Error("a year is not a time")
	}
}

// FuzzReadTable: any input either fails with an error or yields a table
// whose rows all have the header's width and whose line numbers increase.
func FuzzReadTable(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "3\na|b\n1|2\n3|4\n5|6\n", "a;b\r\n\"x;y\";2\r\n", "\ufeffa\tb\n1\t2", "1\n", "",
		"a,b\n\"1\n2\",3\n4,5\n", "0\na\n", "a,\"b\nc,d\n",
	} {
		f.Add([]byte(s), -1)
		f.Add([]byte(s), 0)
	}
	f.Fuzz(func(t *testing.T, in []byte, skip int) {
		if skip > 3 {
			skip = 3
		}
		if skip < -1 {
			skip = -1
		}
		tab, err := ReadTable(bytes.NewReader(in), "fuzz", TableOptions{SkipLines: skip})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		prev := 0
		for i, r := range tab.Rows {
			if len(r) != len(tab.Header) {
				t.Fatalf("row %d has %d fields, header %d", i, len(r), len(tab.Header))
			}
			if tab.Lines[i] <= prev {
				t.Fatalf("line numbers not increasing: %v", tab.Lines)
			}
			prev = tab.Lines[i]
		}
		for c := range tab.Header {
			tab.Numbers(c)
			tab.Strings(c)
		}
	})
}
