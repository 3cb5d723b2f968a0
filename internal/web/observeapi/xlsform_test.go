package observeapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/xlsform"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestFormAsXLSForm: GET …/forms/{form}.xlsx answers the stored form as an
// XLSForm workbook that imports back to the same form; an unknown form is
// 404, and nobody logged out gets it.
func TestFormAsXLSForm(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	code, body, h := fx.Page(t, "analyst", "/api/v1/observe/forms/counting.xlsx")
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") || !strings.Contains(h.Get("Content-Disposition"), "counting-") {
		t.Fatalf("%d %v", code, h)
	}
	f, err := xlsform.Import(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	_, stored := fx.Do(t, "analyst", "GET", "/api/v1/observe/forms/counting", nil)
	want, _ := json.Marshal(stored["form"])
	var wantForm form.Form
	json.Unmarshal(want, &wantForm)
	a, _ := json.Marshal(&wantForm)
	b, _ := json.Marshal(f)
	if string(a) != string(b) {
		t.Errorf("workbook differs from the stored form:\n%s\n%s", a, b)
	}
	if code, _, _ := fx.Page(t, "analyst", "/api/v1/observe/forms/nosuch.xlsx"); code != 404 {
		t.Errorf("unknown form: %d", code)
	}
	if code, _, _ := fx.Page(t, "", "/api/v1/observe/forms/counting.xlsx"); code != 401 && code != 303 {
		t.Errorf("logged out: %d", code)
	}
}
