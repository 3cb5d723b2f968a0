package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// Photos sent with reports: through OpenRosa (the submission's other
// multipart parts, named by the photo question's answer, as ODK Collect
// sends them) or through the API (one photo per request). Only images are
// kept — the bytes, not the declared type, decide — and a resent photo is
// stored once. A protocol's photo is public with the observer protocol
// version its report created; any other photo stays with its report.

var photoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// photoContentType sniffs an image type, or "" when the bytes are not one
// of the kept kinds.
func photoContentType(b []byte) string {
	ct := http.DetectContentType(b)
	if photoTypes[ct] {
		return ct
	}
	return ""
}

// SavePhotos stores the files that answer the form's photo questions.
// It returns what it could not keep, for the reply.
func (s *Server) SavePhotos(ctx context.Context, orgID, electionID, reportID int64, f *form.Form, answers form.Answers, files map[string][]byte) []string {
	var problems []string
	for _, q := range f.Questions {
		if q.Type != form.Photo {
			continue
		}
		v, ok := answers[q.ID]
		if !ok {
			continue
		}
		name, _ := v.Text()
		data, ok := files[name]
		if !ok || name == "" {
			problems = append(problems, fmt.Sprintf("%s: the photo %q was not attached", q.ID, name))
			continue
		}
		if err := s.savePhoto(ctx, orgID, electionID, reportID, q.ID, name, data); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", q.ID, err))
		}
	}
	return problems
}

// errNotImage is a photo whose bytes are not a picture vigil keeps: the
// sender's mistake (400), unlike a failure to store it (500, logged, its
// text not shown).
var errNotImage = errors.New("is not a JPEG, PNG or WebP image")

func (s *Server) savePhoto(ctx context.Context, orgID, electionID, reportID int64, question, name string, data []byte, audit ...store.AuditEntry) error {
	ct := photoContentType(data)
	if ct == "" {
		return fmt.Errorf("%q %w", name, errNotImage)
	}
	lim := s.intake().limits
	if int64(len(data)) > lim.MaxPhotoBytes {
		return fmt.Errorf("%w: %q is larger than %d MiB", store.ErrPhotoLimit, name, lim.MaxPhotoBytes>>20)
	}
	sum := sha256.Sum256(data)
	_, err := s.db.SavePhotoWithin(ctx, &store.Photo{OrgID: orgID, ElectionID: electionID, ReportID: reportID, Question: question,
		FileName: name, ContentType: ct, SHA256: hex.EncodeToString(sum[:]), Size: len(data), Data: data},
		store.PhotoLimits{PerReport: lim.MaxPhotosPerReport, OrgBytes: lim.MaxPhotoBytesOrg}, audit...)
	return err
}

// apiReportPhoto takes one photo for a report: the image is the body,
// ?question= the form's photo question, ?name= its file name.
func (s *Server) apiReportPhoto(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return Errorf(NotFound, "no report %q", r.PathValue("id"))
	}
	rep, err := s.db.Report(r.Context(), p.OrgID, id)
	if err != nil || rep.ElectionID != e.ID {
		return Errorf(NotFound, "no report %d in election %s", id, e.Name)
	}
	// Whoever may submit the report at its station may add its photos.
	if err := s.check(r, access.SubmitReport, access.Resource{OrgID: rep.OrgID, Area: rep.AreaPath, ObserverID: rep.ObserverID}); err != nil {
		return err
	}
	if p.Role == access.Observer && rep.ObserverID != p.ObserverID {
		return Errorf(Forbidden, "an observer adds photos to their own reports only")
	}
	if err := s.AllowIntake(w, p); err != nil {
		return err
	}
	q, name := r.URL.Query().Get("question"), r.URL.Query().Get("name")
	if q == "" || name == "" {
		return &Error{Code: Invalid, Field: "question", Message: "question and name are required: the form's photo question and the photo's file name"}
	}
	sf, err := s.db.FormByID(r.Context(), rep.FormID)
	if err != nil {
		return err
	}
	if fq := sf.Form.Question(q); fq == nil || fq.Type != form.Photo {
		return &Error{Code: Invalid, Field: "question", Message: fmt.Sprintf("question %q is not a photo question of form %s", q, rep.FormKey)}
	}
	maxPhoto := s.intake().limits.MaxPhotoBytes
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPhoto))
	if err != nil {
		return Errorf(Invalid, "photo larger than %d MiB", maxPhoto>>20)
	}
	if err := s.savePhoto(r.Context(), rep.OrgID, e.ID, rep.ID, q, name, data, s.AuditEntry(r, "photo.add", "report:"+strconv.FormatInt(rep.ID, 10), map[string]any{"question": q, "name": name, "size": len(data)})); errors.Is(err, store.ErrPhotoLimit) {
		return Errorf(Conflict, "%v", err)
	} else if errors.Is(err, errNotImage) {
		return &Error{Code: Invalid, Message: err.Error()}
	} else if err != nil {
		return fmt.Errorf("saving a photo of report %d: %w", rep.ID, err)
	}
	WriteJSON(w, http.StatusCreated, map[string]any{"report_id": rep.ID, "question": q, "name": name})
	return nil
}

// pagePhoto serves a public photo: a protocol's photo.
func (s *Server) pagePhoto(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return Errorf(NotFound, "no photo %q", r.PathValue("id"))
	}
	ph, err := s.db.PublicPhoto(r.Context(), e.ID, id, form.ProtocolPhotoID)
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
