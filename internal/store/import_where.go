package store

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
)

// whereFile records, for an import, the file line of each protocol it
// stored: (protocol id, line) records of 12 bytes in a temporary file, in
// id order (chunks take their ids from the sequence one after another, and
// a chunk's ids increase with its rows). Only the rare "appears twice"
// error reads it, by binary search; the import's memory stays flat
// whatever the file's size.
type whereFile struct {
	f *os.File
	w *bufio.Writer
	n int64 // records written
}

const whereRec = 12

func newWhereFile() (*whereFile, error) {
	f, err := os.CreateTemp("", "vigil-import-lines-*")
	if err != nil {
		return nil, fmt.Errorf("import: temporary file of lines: %w", err)
	}
	os.Remove(f.Name()) // unlinked: gone with the process, however it ends
	return &whereFile{f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

func (wf *whereFile) add(ids []int64, lines []int32) error {
	var b [whereRec]byte
	for i, id := range ids {
		binary.LittleEndian.PutUint64(b[:8], uint64(id))
		binary.LittleEndian.PutUint32(b[8:], uint32(lines[i]))
		if _, err := wf.w.Write(b[:]); err != nil {
			return fmt.Errorf("import: temporary file of lines: %w", err)
		}
	}
	wf.n += int64(len(ids))
	return nil
}

// line returns the line of protocol id, or 0 if it is not recorded.
func (wf *whereFile) line(id int64) (int, error) {
	if err := wf.w.Flush(); err != nil {
		return 0, err
	}
	var b [whereRec]byte
	lo, hi := int64(0), wf.n
	for lo < hi {
		mid := lo + (hi-lo)/2
		if _, err := wf.f.ReadAt(b[:], mid*whereRec); err != nil {
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
		wf.f.Close()
	}
}
