package observeapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/media"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// Form media pictures (media::image): a form version's files, uploaded
// after its workbook as ODK Central takes them, listed in the version's
// OpenRosa manifest beside the station lists and served at its media
// route (web/gateway/openrosa_media.go).
//
//	PUT /api/v1/observe/forms/{form}/{version}/media/{file}   the raw bytes

func (s *room) apiPutFormMedia(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ManageForms, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	sf, err := s.DB().FormByKey(r.Context(), p.OrgID, r.PathValue("form"), r.PathValue("version"))
	if err != nil {
		return err
	}
	// One byte over the limit is enough to refuse the file.
	data, err := io.ReadAll(io.LimitReader(r.Body, media.MaxBytes+1))
	if err != nil {
		return web.Errorf(web.Invalid, "reading the file: %v", err)
	}
	name := r.PathValue("file")
	m, err := observe.AttachFormMedia(r.Context(), s.DB(), sf, name, data,
		s.AuditEntry(r, "form.media", fmt.Sprintf("form:%s:%s:%s", sf.Form.ID, sf.Form.Version, name), map[string]any{"bytes": len(data)}))
	if errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil {
		return web.Errorf(web.Invalid, "%v", err)
	}
	missing, err := observe.MissingFormMedia(r.Context(), s.DB(), sf)
	if err != nil {
		return err
	}
	if missing == nil {
		missing = []string{} // a list in the JSON, never null
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"media": m, "missing": missing})
	return nil
}

// storedMediaURL is the URL the web form shows a stored form's picture
// from: the manifest's download URL, relative, so that the observer's
// session opens it and observe.js can keep it for offline use.
func storedMediaURL(electionID int64, f *form.Form, name string) string {
	if name == "" {
		return ""
	}
	return "/openrosa/" + itoa64(electionID) + "/forms/" + url.PathEscape(f.ID) + "/" + url.PathEscape(f.Version) + "/media/" + url.PathEscape(name)
}

// formPictures returns the URLs of a question's picture and of its
// choices' (aligned with choices; nil when none has one) in lang.
func formPictures(electionID int64, f *form.Form, q *form.Question, choices []form.Choice, lang string) (string, []string) {
	var cs []string
	for i, c := range choices {
		if u := storedMediaURL(electionID, f, c.Image.In(lang)); u != "" {
			if cs == nil {
				cs = make([]string, len(choices))
			}
			cs[i] = u
		}
	}
	return storedMediaURL(electionID, f, q.Image.In(lang)), cs
}
