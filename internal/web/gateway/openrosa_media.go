package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// OpenRosa form media: the station lists of a large election's cascade
// (form.StationsMedia), which the XForm reads as external CSV instances
// rather than carry megabytes inline. Collect fetches the manifest named
// in the form list, then each file whose hash it does not have:
//
//	GET /openrosa/{election}/forms/{form}/{version}/manifest
//	GET /openrosa/{election}/forms/{form}/{version}/media/{file}

// orMedia returns a form's station lists as bound to the election, and
// the stored form version, whose uploaded pictures (form_media) are the
// rest of its media.
func (s *room) orMedia(r *http.Request) (map[string][]byte, *store.StoredForm, int, string) {
	p, st, msg := s.orPrincipal(r)
	if st != 0 {
		return nil, nil, st, msg
	}
	e, st, msg := s.orElection(r)
	if st != 0 {
		return nil, nil, st, msg
	}
	sf, err := s.DB().FormByKey(r.Context(), p.OrgID, r.PathValue("form"), r.PathValue("version"))
	if err != nil {
		return nil, nil, http.StatusNotFound, fmt.Sprintf("no form %s version %s", r.PathValue("form"), r.PathValue("version"))
	}
	areas, err := s.DB().Areas(r.Context(), e.ID)
	if err != nil {
		s.Log().Error("openrosa media: areas", "err", err)
		return nil, nil, http.StatusInternalServerError, "internal error"
	}
	return form.StationsMedia(form.BindElection(sf.Form, e), areas, observe.StationNumber), sf, 0, ""
}

func (s *room) orManifest(w http.ResponseWriter, r *http.Request) (int, string) {
	media, sf, st, msg := s.orMedia(r)
	if st != 0 {
		return st, msg
	}
	base := s.baseURL(r, publicURL(s.Options())) + "/openrosa/" + url.PathEscape(r.PathValue("election")) + "/forms/" +
		url.PathEscape(r.PathValue("form")) + "/" + url.PathEscape(r.PathValue("version")) + "/media/"
	var files []form.MediaFile
	for name, data := range media {
		files = append(files, form.MediaFile{Name: name, Data: data, DownloadURL: base + url.PathEscape(name)})
	}
	stored, err := s.DB().FormMediaList(r.Context(), sf.ID)
	if err != nil {
		s.Log().Error("openrosa manifest: media", "err", err)
		return http.StatusInternalServerError, "internal error"
	}
	for _, m := range stored {
		files = append(files, form.MediaFile{Name: m.FileName, MD5: m.MD5, DownloadURL: base + url.PathEscape(m.FileName)})
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(form.Manifest(files))
	return 0, ""
}

func (s *room) orMediaFile(w http.ResponseWriter, r *http.Request) (int, string) {
	media, sf, st, msg := s.orMedia(r)
	if st != 0 {
		return st, msg
	}
	name := r.PathValue("file")
	data, ok := media[name]
	if !ok {
		m, err := s.DB().FormMediaFile(r.Context(), sf.ID, name)
		if errors.Is(err, store.ErrNotFound) {
			return http.StatusNotFound, fmt.Sprintf("form %s has no media file %q", r.PathValue("form"), name)
		}
		if err != nil {
			s.Log().Error("openrosa media file", "err", err)
			return http.StatusInternalServerError, "internal error"
		}
		// A picture sniffed at upload; nosniff (set for every answer)
		// keeps browsers to that type.
		w.Header().Set("Content-Type", m.ContentType)
		w.Header().Set("Cache-Control", "private, no-cache")
		w.Write(m.Data)
		return 0, ""
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename=\""+name+"\"")
	w.Write(data)
	return 0, ""
}

// manifestURL is a bound form's manifest URL in the form list; empty
// when it has no media (station lists or pictures it names; the manifest
// lists the pictures uploaded so far).
func manifestURL(base string, f *form.Form) string {
	if len(f.ItemsetFiles()) == 0 && len(f.ImageFiles()) == 0 {
		return ""
	}
	return base + "/forms/" + url.PathEscape(f.ID) + "/" + url.PathEscape(f.Version) + "/manifest"
}
