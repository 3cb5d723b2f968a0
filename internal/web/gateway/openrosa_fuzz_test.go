package gateway

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// FuzzOpenRosaSubmission: the multipart envelope and the instance
// document, read against the counting form, never panic and give either
// answers or a precise refusal.
func FuzzOpenRosaSubmission(f *testing.F) {
	counting := form.CountingTemplate()
	doc := form.EncodeInstance(counting, "uuid:1", form.Answers{"station": form.IntValue(5), "overall": form.TextValue("bad"),
		"protocol": form.ProtocolValue(map[string]int64{"valid": 10})})
	f.Add(doc, true)
	f.Add([]byte(`<counting id="counting" version="1"><station>x</station><protocol><valid>-1</valid></protocol><meta><instanceID>u</instanceID></meta></counting>`), true)
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"xml_submission_file\"\r\n\r\n<a/>\r\n--b--\r\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, wrap bool) {
		var body bytes.Buffer
		ct := "multipart/form-data; boundary=b"
		if wrap {
			mw := multipart.NewWriter(&body)
			w, _ := mw.CreateFormFile("xml_submission_file", "s.xml")
			w.Write(data)
			mw.Close()
			ct = mw.FormDataContentType()
		} else {
			body.Write(data)
		}
		r := httptest.NewRequest("POST", "/openrosa/e/submission", &body)
		r.Header.Set("Content-Type", ct)
		got, _, status, msg := submissionDocument(r)
		if status != 0 {
			if got != nil || msg == "" {
				t.Fatalf("refusal %d %q with a document", status, msg)
			}
			return
		}
		inst, err := form.ParseInstance(bytes.NewReader(got))
		if err != nil {
			if !strings.Contains(err.Error(), "instance") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if inst.FormID == counting.ID {
			counting.ReadInstance(inst)
		}
	})
}
