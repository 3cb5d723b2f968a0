package observe

import (
	"context"

	"github.com/vigil-elections/vigil/internal/observe/form/media"
	"github.com/vigil-elections/vigil/internal/store"
)

// AttachFormMedia stores a picture a stored form version names
// (media::image) after checking it against the form: a name the form does
// not declare, an empty or oversized file, or bytes that are not a picture
// of the name's type are refused (media.Check, in package form/media). The
// audit entries are written in the store's transaction.
func AttachFormMedia(ctx context.Context, db *store.DB, sf *store.StoredForm, name string, data []byte, audit ...store.AuditEntry) (*store.FormMedia, error) {
	ct, err := media.Check(sf.Form, name, data)
	if err != nil {
		return nil, err
	}
	m := &store.FormMedia{OrgID: sf.OrgID, FormID: sf.ID, FileName: name, ContentType: ct, Data: data}
	if err := db.SaveFormMedia(ctx, m, audit...); err != nil {
		return nil, err
	}
	return m, nil
}

// MissingFormMedia lists the pictures a stored form version names that
// have not been uploaded yet: clients show the text label in their place.
func MissingFormMedia(ctx context.Context, db *store.DB, sf *store.StoredForm) ([]string, error) {
	stored, err := db.FormMediaList(ctx, sf.ID)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, m := range stored {
		have[m.FileName] = true
	}
	var out []string
	for _, n := range sf.Form.ImageFiles() {
		if !have[n] {
			out = append(out, n)
		}
	}
	return out, nil
}
