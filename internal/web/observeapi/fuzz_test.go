package observeapi

import (
	"errors"
	"testing"

	"github.com/vigil-elections/vigil/internal/web"
)

// FuzzReportJSON: any body gives a report or a client error with a
// message, never a panic.
func FuzzReportJSON(f *testing.F) {
	f.Add([]byte(`{"client_id":"c0ffee00-1","form":"voting","answers":{"station":101,"overall":"bad","protocol":{"valid":3}}}`))
	f.Add([]byte(`{"client_id": "x",`))
	f.Add([]byte(`{"answers":{"a":[1,2]}}`))
	f.Add([]byte(`{"answers":{"a":1e400}}`))
	f.Add([]byte("{\"answers\":{\"a\":\"\xff\"}}\n{}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in ReportIn
		err := decodeJSONBytes(body, &in)
		if err != nil {
			var e *web.Error
			if !errors.As(err, &e) || e.Code != web.Invalid || e.Message == "" {
				t.Fatalf("error %T %v", err, err)
			}
		}
	})
}
