package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
)

// The transparency log, served read-only to anyone (C2SP tlog-tiles):
// the latest signed checkpoint, the tiles and entry bundles, the log's
// public key, inclusion proofs for receipts and the bundles of the
// publications. Witnesses POST their cosignatures, which are accepted only
// when they verify against a witness key the mission configured: the
// signature is the authorisation. Every route here is public.
func (s *Server) LogRoutes() {
	s.mux.Handle("GET /log/checkpoint", s.Serve(s.logCheckpoint))
	s.mux.Handle("GET /log/tile/", s.Serve(s.logTile))
	s.mux.Handle("GET /log/key", s.Serve(s.logKey))
	s.mux.Handle("GET /log/proof", s.Serve(s.logProof))
	s.mux.Handle("POST /log/cosignature", s.Serve(s.logCosignature))
	s.mux.Handle("GET /log/bundle/results/{election}", s.Serve(s.logResultsBundle))
	s.mux.Handle("GET /log/bundle/findings/{election}/{id}", s.Serve(s.logFindingsBundle))
	s.mux.Handle("GET /log/bundle/recommendations/{report}", s.Serve(s.logRecommendationsBundle))
}

func (s *Server) logCheckpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := s.db.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// Mutable: a few seconds at most, as the spec asks.
	w.Header().Set("Cache-Control", "public, max-age=5")
	_, err = w.Write(cp.Signed)
	return err
}

func (s *Server) logTile(w http.ResponseWriter, r *http.Request) error {
	t, err := translog.ParseTilePath(strings.TrimPrefix(r.URL.Path, "/log/"))
	if err != nil {
		return Errorf(NotFound, "%v", err)
	}
	// Serve only tiles of the tree a checkpoint has been signed for: a
	// client must not see leaves before the log has committed to them.
	cp, err := s.db.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	lvl := max(t.L, 0)
	end := (t.N<<uint(t.H) + int64(t.W)) << uint(lvl*t.H)
	if end > cp.Size {
		return Errorf(NotFound, "tile %s is beyond the signed tree of %d leaves", r.URL.Path, cp.Size)
	}
	data, err := s.db.LogTile(r.Context(), t)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	// Tiles never change once they exist.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, err = w.Write(data)
	return err
}

func (s *Server) logKey(w http.ResponseWriter, r *http.Request) error {
	if s.logVKey == "" {
		return Errorf(NotFound, "this server was not given the log's public key")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	fmt.Fprintln(w, s.logVKey)
	for _, k := range s.witnesses {
		fmt.Fprintln(w, "witness", k)
	}
	return nil
}

// logProof answers a receipt: ?index=N[&size=M], against the latest (or
// the given) signed checkpoint.
func (s *Server) logProof(w http.ResponseWriter, r *http.Request) error {
	idx, err := strconv.ParseInt(r.URL.Query().Get("index"), 10, 64)
	if err != nil || idx < 0 {
		return Errorf(Invalid, "index: want a leaf index from a receipt")
	}
	var cp *store.Checkpoint
	if sz := r.URL.Query().Get("size"); sz != "" {
		n, err := strconv.ParseInt(sz, 10, 64)
		if err != nil {
			return Errorf(Invalid, "size: want a checkpoint's tree size")
		}
		cp, err = s.db.CheckpointAt(r.Context(), n)
		if err != nil {
			return err
		}
	} else if cp, err = s.db.LatestCheckpoint(r.Context()); err != nil {
		return err
	}
	if idx >= cp.Size {
		return Errorf(NotFound, "leaf %d is not yet in a signed checkpoint (the latest holds %d leaves): try again shortly", idx, cp.Size)
	}
	p, err := s.db.ProveLeaf(r.Context(), idx, cp.Size)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"leaf_index": p.Index, "leaf": p.Leaf, "leaf_hash": translog.LeafHash([]byte(p.Leaf)).String(),
		"tree_size": p.Size, "proof": p.Proof, "checkpoint": string(cp.Signed)})
	return nil
}

func (s *Server) logCosignature(w http.ResponseWriter, r *http.Request) error {
	if len(s.witnesses) == 0 || s.logVKey == "" {
		return Errorf(Forbidden, "this log accepts no cosignatures: it knows no witness")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return Errorf(Invalid, "reading the cosigned checkpoint: %v", err)
	}
	o, err := translog.OpenCheckpoint(body, s.logVKey, s.witnesses...)
	if err != nil {
		return Errorf(Forbidden, "%v", err)
	}
	if len(o.Witnesses) == 0 {
		return Errorf(Forbidden, "no cosignature by a witness this log knows")
	}
	cp, err := s.db.CheckpointAt(r.Context(), o.Size)
	if err != nil {
		return err
	}
	if cp.Root != o.Hash.String() {
		return Errorf(Conflict, "the cosigned root is not this log's at %d leaves", o.Size)
	}
	n := 0
	for _, sig := range o.Note.Sigs {
		for _, wn := range o.Witnesses {
			if sig.Name == wn {
				if err := s.db.AddCosignature(r.Context(), o.Size, sig.Name, fmt.Sprintf("— %s %s\n", sig.Name, sig.Base64)); err != nil {
					return err
				}
				n++
			}
		}
	}
	WriteJSON(w, http.StatusCreated, map[string]any{"size": o.Size, "cosignatures": n})
	return nil
}

func writeBundle(w http.ResponseWriter, b *translog.Bundle, name string) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(b); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, err := w.Write(buf.Bytes())
	return err
}

// bundleError makes "no checkpoint yet" and "not in the checkpoint yet" a
// client's 404, not an internal error.
func bundleError(err error) error {
	if err != nil && (errors.Is(err, store.ErrNotFound) || strings.Contains(err.Error(), "checkpoint")) {
		return Errorf(NotFound, "%v", err)
	}
	return err
}

func (s *Server) logResultsBundle(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	src := election.Source(r.URL.Query().Get("source"))
	if src == "" {
		src = election.OfficialFinal
	}
	b, err := s.db.ResultsBundle(r.Context(), e.ID, src, r.URL.Query().Get("stations") != "")
	if err != nil {
		return bundleError(err)
	}
	return writeBundle(w, b, fmt.Sprintf("results-%d-%s.bundle.json", e.ID, src))
}

func (s *Server) logFindingsBundle(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Publication(r)
	if err != nil {
		return err
	}
	b, err := s.db.FindingsBundle(r.Context(), p.ElectionID, p.ID)
	if err != nil {
		return bundleError(err)
	}
	return writeBundle(w, b, fmt.Sprintf("findings-%d-%d.bundle.json", p.ElectionID, p.ID))
}

func (s *Server) logRecommendationsBundle(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("report"), 10, 64)
	if err != nil {
		return Errorf(NotFound, "no report %q", r.PathValue("report"))
	}
	b, err := s.db.RecommendationsBundle(r.Context(), id)
	if err != nil {
		return bundleError(err)
	}
	return writeBundle(w, b, fmt.Sprintf("recommendations-%d.bundle.json", id))
}

// VerifiedLine verifies a bundle with the server's own keys, for the
// portal's "verified against checkpoint N, cosigned by …" (the reader is
// told how to check it without trusting the server).
func (s *Server) VerifiedLine(b *translog.Bundle, err error) string {
	if err != nil || s.logVKey == "" {
		return ""
	}
	v, err := translog.VerifyBundle(b, s.logVKey, s.witnesses...)
	if err != nil {
		return "NOT verified: " + err.Error()
	}
	return v.Summary()
}

// Publication is the publication the path names ({election}, {id}).
func (s *Server) Publication(r *http.Request) (*store.PublishedFindings, error) {
	e, err := s.ElectionParam(r)
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, Errorf(NotFound, "no publication %q", r.PathValue("id"))
	}
	return s.db.PublishedFindingsByID(r.Context(), e.ID, id)
}
