package observeapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// The API's photos: one photo per request, added to a report. They are
// stored as the OpenRosa gateway's attachments are (web.Server.SavePhoto:
// only images, a resent photo once). A protocol's photo is public with the
// observer protocol version its report created (pagePhoto); any other
// photo stays with its report.

// apiReportPhoto takes one photo for a report: the image is the body,
// ?question= the form's photo question, ?name= its file name.
func (s *room) apiReportPhoto(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return web.Errorf(web.NotFound, "no report %q", r.PathValue("id"))
	}
	rep, err := s.DB().Report(r.Context(), p.OrgID, id)
	if err != nil || rep.ElectionID != e.ID {
		return web.Errorf(web.NotFound, "no report %d in election %s", id, e.Name)
	}
	// Whoever may submit the report at its station may add its photos.
	if err := s.Check(r, access.SubmitReport, access.Resource{OrgID: rep.OrgID, ElectionID: rep.ElectionID, Area: rep.AreaPath, ObserverID: rep.ObserverID}); err != nil {
		return err
	}
	if p.Role == access.Observer && rep.ObserverID != p.ObserverID {
		return web.Errorf(web.Forbidden, "an observer adds photos to their own reports only")
	}
	if err := s.AllowIntake(w, p); err != nil {
		return err
	}
	q, name := r.URL.Query().Get("question"), r.URL.Query().Get("name")
	if q == "" || name == "" {
		return &web.Error{Code: web.Invalid, Field: "question", Message: "question and name are required: the form's photo question and the photo's file name"}
	}
	sf, err := s.DB().FormByID(r.Context(), rep.FormID)
	if err != nil {
		return err
	}
	if fq := sf.Form.Question(q); fq == nil || fq.Type != form.Photo {
		return &web.Error{Code: web.Invalid, Field: "question", Message: fmt.Sprintf("question %q is not a photo question of form %s", q, rep.FormKey)}
	}
	maxPhoto := s.MaxPhotoBytes()
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPhoto))
	if err != nil {
		return web.Errorf(web.Invalid, "photo larger than %d MiB", maxPhoto>>20)
	}
	if err := s.SavePhoto(r.Context(), rep.OrgID, e.ID, rep.ID, q, name, data, s.AuditEntry(r, "photo.add", "report:"+strconv.FormatInt(rep.ID, 10), map[string]any{"question": q, "name": name, "size": len(data)})); errors.Is(err, store.ErrPhotoLimit) {
		return web.Errorf(web.Conflict, "%v", err)
	} else if errors.Is(err, web.ErrNotImage) {
		return &web.Error{Code: web.Invalid, Message: err.Error()}
	} else if err != nil {
		return fmt.Errorf("saving a photo of report %d: %w", rep.ID, err)
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"report_id": rep.ID, "question": q, "name": name})
	return nil
}

// pagePhoto serves a public photo: a protocol's photo.
func (s *room) pagePhoto(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return web.Errorf(web.NotFound, "no photo %q", r.PathValue("id"))
	}
	ph, err := s.DB().PublicPhoto(r.Context(), e.ID, id, form.ProtocolPhotoID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ph.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
	w.Header().Set("ETag", `"`+ph.SHA256+`"`)
	_, err = w.Write(ph.Data)
	return err
}
