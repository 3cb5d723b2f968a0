package store

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5"
)

// spillFile is an unlinked temporary file of fixed-size records that an
// import writes as it goes instead of holding them, so that its memory
// stays flat whatever the file's size (36 MB of line records at 3,000,000
// stations, twice that while a slice grows).
type spillFile struct {
	what string // for messages
	f    *os.File
	w    *bufio.Writer
	size int   // of a record
	n    int64 // records written
}

func newSpillFile(what string, size int) (*spillFile, error) {
	f, err := os.CreateTemp("", "vigil-import-*")
	if err != nil {
		return nil, fmt.Errorf("import: temporary file of %s: %w", what, err)
	}
	os.Remove(f.Name()) // unlinked: gone with the process, however it ends
	return &spillFile{what: what, f: f, w: bufio.NewWriterSize(f, 1<<16), size: size}, nil
}

func (s *spillFile) write(rec []byte) error {
	if _, err := s.w.Write(rec); err != nil {
		return fmt.Errorf("import: temporary file of %s: %w", s.what, err)
	}
	s.n++
	return nil
}

// readAt reads record i into rec, after what was written so far.
func (s *spillFile) readAt(rec []byte, i int64) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("import: temporary file of %s: %w", s.what, err)
	}
	_, err := s.f.ReadAt(rec, i*int64(s.size))
	return err
}

// reader reads the records written, from the first.
func (s *spillFile) reader() (*bufio.Reader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("import: temporary file of %s: %w", s.what, err)
	}
	return bufio.NewReaderSize(io.NewSectionReader(s.f, 0, s.n*int64(s.size)), 1<<16), nil
}

func (s *spillFile) close() {
	if s != nil {
		s.f.Close()
	}
}

// whereFile records, for an import, the file line of each protocol it
// stored: (protocol id, line) records of 12 bytes, in id order (chunks
// take their ids from the sequence one after another, and a chunk's ids
// increase with its rows). Only the rare "appears twice" error reads it,
// by binary search.
type whereFile struct{ *spillFile }

const whereRec = 12

func newWhereFile() (*whereFile, error) {
	s, err := newSpillFile("lines", whereRec)
	if err != nil {
		return nil, err
	}
	return &whereFile{s}, nil
}

func (wf *whereFile) add(ids []int64, lines []int32) error {
	var b [whereRec]byte
	for i, id := range ids {
		binary.LittleEndian.PutUint64(b[:8], uint64(id))
		binary.LittleEndian.PutUint32(b[8:], uint32(lines[i]))
		if err := wf.write(b[:]); err != nil {
			return err
		}
	}
	return nil
}

// line returns the line of protocol id, or 0 if it is not recorded.
func (wf *whereFile) line(id int64) (int, error) {
	var b [whereRec]byte
	lo, hi := int64(0), wf.n
	for lo < hi {
		mid := lo + (hi-lo)/2
		if err := wf.readAt(b[:], mid); err != nil {
			return 0, err
		}
		switch got := int64(binary.LittleEndian.Uint64(b[:8])); {
		case got == id:
			return int(int32(binary.LittleEndian.Uint32(b[8:]))), nil
		case got < id:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, nil
}

func (wf *whereFile) close() {
	if wf != nil {
		wf.spillFile.close()
	}
}

// newFile records, for an election's first import on PostgreSQL, each
// stored protocol's station, id and flags (24 bytes): the rows of the
// final transaction's agg_change, copied from the file rather than
// computed from the batch's rows with the controls' SQL expression (8 s
// of a 1,000,000-station import's final transaction).
type newFile struct{ *spillFile }

const newRec = 24

func newNewFile() (*newFile, error) {
	s, err := newSpillFile("new stations", newRec)
	if err != nil {
		return nil, err
	}
	return &newFile{s}, nil
}

func (nf *newFile) add(area, id, flags int64) error {
	var b [newRec]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(area))
	binary.LittleEndian.PutUint64(b[8:16], uint64(id))
	binary.LittleEndian.PutUint64(b[16:], uint64(flags))
	return nf.write(b[:])
}

// changes are agg_change's rows for the protocols recorded, each the first
// version of its station, of source.
func (nf *newFile) changes(source string) (pgx.CopyFromSource, error) {
	r, err := nf.reader()
	if err != nil {
		return nil, err
	}
	var b [newRec]byte
	row := make([]any, 8)
	i := int64(0)
	return pgx.CopyFromFunc(func() ([]any, error) {
		if i == nf.n {
			return nil, nil
		}
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("import: temporary file of new stations: %w", err)
		}
		i++
		row[0], row[1], row[2], row[3] = int64(binary.LittleEndian.Uint64(b[:8])), source, int64(1), nil
		row[4], row[5], row[6], row[7] = int64(binary.LittleEndian.Uint64(b[8:16])), int64(1), int64(0), int64(binary.LittleEndian.Uint64(b[16:]))
		return row, nil
	}), nil
}

func (nf *newFile) close() {
	if nf != nil {
		nf.spillFile.close()
	}
}
