// Package transparency is the web room of the transparency log
// (internal/translog, docs/evidence.md): the log served read-only to anyone
// in the C2SP tlog-tiles layout, the witnesses' cosignatures, inclusion
// proofs for receipts and the verifiable bundles of the publications.
package transparency

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
	"github.com/vigil-elections/vigil/internal/web"
)

type room struct{ *web.Server }

// Mount registers the log's routes. The transparency log, served
// read-only to anyone (C2SP tlog-tiles):
// the latest signed checkpoint, the tiles and entry bundles, the log's
// public key, inclusion proofs for receipts and the bundles of the
// publications. Witnesses POST their cosignatures, which are accepted only
// when they verify against a witness key the mission configured: the
// signature is the authorisation. Every route here is public.
func Mount(srv *web.Server) {
	s := &room{srv}
	s.Mux().Handle("GET /log/checkpoint", s.Serve(s.logCheckpoint))
	s.Mux().Handle("GET /log/tile/", s.Serve(s.logTile))
	s.Mux().Handle("GET /log/key", s.Serve(s.logKey))
	s.Mux().Handle("GET /log/proof", s.Serve(s.logProof))
	s.Mux().Handle("POST /log/cosignature", s.Serve(s.logCosignature))
	s.Mux().Handle("GET /log/bundle/results/{election}", s.Serve(s.logResultsBundle))
	s.Mux().Handle("GET /log/bundle/findings/{election}/{id}", s.Serve(s.logFindingsBundle))
	s.Mux().Handle("GET /log/bundle/recommendations/{report}", s.Serve(s.logRecommendationsBundle))
}

func (s *room) logCheckpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := s.DB().LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// Mutable: a few seconds at most, as the spec asks.
	w.Header().Set("Cache-Control", "public, max-age=5")
	_, err = w.Write(cp.Signed)
	return err
}

func (s *room) logTile(w http.ResponseWriter, r *http.Request) error {
	t, err := translog.ParseTilePath(strings.TrimPrefix(r.URL.Path, "/log/"))
	if err != nil {
		return web.Errorf(web.NotFound, "%v", err)
	}
	// Serve only tiles of the tree a checkpoint has been signed for: a
	// client must not see leaves before the log has committed to them.
	cp, err := s.DB().LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	lvl := max(t.L, 0)
	end := (t.N<<uint(t.H) + int64(t.W)) << uint(lvl*t.H)
	if end > cp.Size {
		return web.Errorf(web.NotFound, "tile %s is beyond the signed tree of %d leaves", r.URL.Path, cp.Size)
	}
	data, err := s.DB().LogTile(r.Context(), t)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	// Tiles never change once they exist.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, err = w.Write(data)
	return err
}

func (s *room) logKey(w http.ResponseWriter, r *http.Request) error {
	if s.LogVKey() == "" {
		return web.Errorf(web.NotFound, "this server was not given the log's public key")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	fmt.Fprintln(w, s.LogVKey())
	for _, k := range s.Witnesses() {
		fmt.Fprintln(w, "witness", k)
	}
	return nil
}

// logProof answers a receipt: ?index=N[&size=M], against the latest (or
// the given) signed checkpoint.
func (s *room) logProof(w http.ResponseWriter, r *http.Request) error {
	idx, err := strconv.ParseInt(r.URL.Query().Get("index"), 10, 64)
	if err != nil || idx < 0 {
		return web.Errorf(web.Invalid, "index: want a leaf index from a receipt")
	}
	var cp *store.Checkpoint
	if sz := r.URL.Query().Get("size"); sz != "" {
		n, err := strconv.ParseInt(sz, 10, 64)
		if err != nil {
			return web.Errorf(web.Invalid, "size: want a checkpoint's tree size")
		}
		cp, err = s.DB().CheckpointAt(r.Context(), n)
		if err != nil {
			return err
		}
	} else if cp, err = s.DB().LatestCheckpoint(r.Context()); err != nil {
		return err
	}
	if idx >= cp.Size {
		return web.Errorf(web.NotFound, "leaf %d is not yet in a signed checkpoint (the latest holds %d leaves): try again shortly", idx, cp.Size)
	}
	p, err := s.DB().ProveLeaf(r.Context(), idx, cp.Size)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"leaf_index": p.Index, "leaf": p.Leaf, "leaf_hash": translog.LeafHash([]byte(p.Leaf)).String(),
		"tree_size": p.Size, "proof": p.Proof, "checkpoint": string(cp.Signed)})
	return nil
}

func (s *room) logCosignature(w http.ResponseWriter, r *http.Request) error {
	if len(s.Witnesses()) == 0 || s.LogVKey() == "" {
		return web.Errorf(web.Forbidden, "this log accepts no cosignatures: it knows no witness")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return web.Errorf(web.Invalid, "reading the cosigned checkpoint: %v", err)
	}
	o, err := translog.OpenCheckpoint(body, s.LogVKey(), s.Witnesses()...)
	if err != nil {
		return web.Errorf(web.Forbidden, "%v", err)
	}
	if len(o.Witnesses) == 0 {
		return web.Errorf(web.Forbidden, "no cosignature by a witness this log knows")
	}
	cp, err := s.DB().CheckpointAt(r.Context(), o.Size)
	if err != nil {
		return err
	}
	if cp.Root != o.Hash.String() {
		return web.Errorf(web.Conflict, "the cosigned root is not this log's at %d leaves", o.Size)
	}
	n := 0
	for _, sig := range o.Note.Sigs {
		for _, wn := range o.Witnesses {
			if sig.Name == wn {
				if err := s.DB().AddCosignature(r.Context(), o.Size, sig.Name, fmt.Sprintf("— %s %s\n", sig.Name, sig.Base64)); err != nil {
					return err
				}
				n++
			}
		}
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"size": o.Size, "cosignatures": n})
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
		return web.Errorf(web.NotFound, "%v", err)
	}
	return err
}

func (s *room) logResultsBundle(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	src := election.Source(r.URL.Query().Get("source"))
	if src == "" {
		src = election.OfficialFinal
	}
	b, err := s.DB().ResultsBundle(r.Context(), e.ID, src, r.URL.Query().Get("stations") != "")
	if err != nil {
		return bundleError(err)
	}
	return writeBundle(w, b, fmt.Sprintf("results-%d-%s.bundle.json", e.ID, src))
}

func (s *room) logFindingsBundle(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Publication(r)
	if err != nil {
		return err
	}
	b, err := s.DB().FindingsBundle(r.Context(), p.ElectionID, p.ID)
	if err != nil {
		return bundleError(err)
	}
	return writeBundle(w, b, fmt.Sprintf("findings-%d-%d.bundle.json", p.ElectionID, p.ID))
}

func (s *room) logRecommendationsBundle(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("report"), 10, 64)
	if err != nil {
		return web.Errorf(web.NotFound, "no report %q", r.PathValue("report"))
	}
	b, err := s.DB().RecommendationsBundle(r.Context(), id)
	if err != nil {
		return bundleError(err)
	}
	return writeBundle(w, b, fmt.Sprintf("recommendations-%d.bundle.json", id))
}
