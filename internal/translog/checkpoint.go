package translog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a tree head in the C2SP tlog-checkpoint format: the
// origin line (the log's name), the tree size, the root hash in base64,
// each on its own line.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Text is the checkpoint's note body.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint parses a checkpoint's note body (extension lines after
// the third are allowed and ignored, as the spec says).
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and hash lines")
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	size, err := strconv.ParseInt(strings.TrimSuffix(lines[1], "\n"), 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != strings.TrimSuffix(lines[1], "\n") {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad tree size %q", strings.TrimSuffix(lines[1], "\n"))
	}
	h, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(lines[2], "\n"))
	if err != nil || len(h) != tlog.HashSize || origin == "" {
		return Checkpoint{}, errors.New("checkpoint: bad origin or root hash")
	}
	c := Checkpoint{Origin: origin, Size: size}
	copy(c.Hash[:], h)
	return c, nil
}

// GenerateKey makes a log key pair: the signer key (kept secret, outside
// the database) and the verifier key (published), in the signed-note
// formats "PRIVATE+KEY+name+hash+…" and "name+hash+…". The name is the
// log's origin.
func GenerateKey(origin string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// SignCheckpoint signs a checkpoint with the log key.
func SignCheckpoint(c Checkpoint, skey string) ([]byte, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("log key: %w", err)
	}
	if s.Name() != c.Origin {
		return nil, fmt.Errorf("log key is for %q, the log is %q", s.Name(), c.Origin)
	}
	return note.Sign(&note.Note{Text: c.Text()}, s)
}

// Opened is a checkpoint whose log signature checked, with the witnesses
// whose cosignatures checked too.
type Opened struct {
	Checkpoint
	Note      *note.Note
	Witnesses []string // names of the witnesses whose cosignature verified
}

// OpenCheckpoint verifies a signed checkpoint against the log's verifier
// key and any witness keys: the log's signature must be there and valid;
// a cosignature by a given witness must verify, others are ignored.
func OpenCheckpoint(msg []byte, logVKey string, witnesses ...string) (*Opened, error) {
	lv, err := note.NewVerifier(strings.TrimSpace(logVKey))
	if err != nil {
		return nil, fmt.Errorf("log key: %w", err)
	}
	list := []note.Verifier{lv}
	for _, w := range witnesses {
		v, err := NewCosignatureVerifier(w)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	n, err := note.Open(msg, note.VerifierList(list...))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	o := &Opened{Note: n}
	logSigned := false
	for _, s := range n.Sigs {
		if s.Name == lv.Name() && s.Hash == lv.KeyHash() {
			logSigned = true
		} else {
			o.Witnesses = append(o.Witnesses, s.Name)
		}
	}
	if !logSigned {
		return nil, errors.New("checkpoint: not signed by the log's key")
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	if c.Origin != lv.Name() {
		return nil, fmt.Errorf("checkpoint: origin %q is not the log key's name %q", c.Origin, lv.Name())
	}
	o.Checkpoint = c
	return o, nil
}

// Cosignatures (C2SP tlog-cosignature, Ed25519 type 0x04): the signed
// message is "cosignature/v1\ntime T\n" followed by the checkpoint body;
// the signature is the 8-byte big-endian timestamp then the Ed25519
// signature; the key id commits to the 0x04 type byte.
const cosigAlg = 0x04

func cosigKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(append([]byte{cosigAlg}, pub...))
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

func cosigMessage(t uint64, text []byte) []byte {
	return append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), text...)
}

// GenerateWitnessKey makes a witness key pair: the secret key
// "PRIVATE+KEY+name+hash+base64(0x04||seed)" and the verifier key
// "name+hash+base64(0x04||public key)" (C2SP vkey with type 0x04).
func GenerateWitnessKey(name string) (skey, vkey string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	h := cosigKeyHash(name, pub)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(append([]byte{cosigAlg}, priv.Seed()...)))
	vkey = fmt.Sprintf("%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(append([]byte{cosigAlg}, pub...)))
	return skey, vkey, nil
}

func splitKey(k string) (name string, hash uint32, key []byte, err error) {
	parts := strings.SplitN(strings.TrimSpace(k), "+", 3) // base64 may hold "+"
	if len(parts) != 3 || parts[0] == "" {
		return "", 0, nil, errors.New("witness key: want name+hash+key")
	}
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || len(parts[1]) != 8 {
		return "", 0, nil, errors.New("witness key: bad key hash")
	}
	key, err = base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 || key[0] != cosigAlg {
		return "", 0, nil, errors.New("witness key: want an Ed25519 cosignature key (type 0x04)")
	}
	return parts[0], uint32(h), key[1:], nil
}

type cosigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	now  func() time.Time
}

func (c *cosigner) Name() string    { return c.name }
func (c *cosigner) KeyHash() uint32 { return c.hash }
func (c *cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.now().Unix())
	sig := ed25519.Sign(c.priv, cosigMessage(t, msg))
	out := binary.BigEndian.AppendUint64(nil, t)
	return append(out, sig...), nil
}

// NewCosigner reads a witness's secret key.
func NewCosigner(skey string) (note.Signer, error) {
	k, ok := strings.CutPrefix(strings.TrimSpace(skey), "PRIVATE+KEY+")
	if !ok {
		return nil, errors.New("witness key: not a PRIVATE+KEY")
	}
	name, h, seed, err := splitKey(k)
	if err != nil {
		return nil, err
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if cosigKeyHash(name, priv.Public().(ed25519.PublicKey)) != h {
		return nil, errors.New("witness key: key hash does not match")
	}
	return &cosigner{name: name, hash: h, priv: priv, now: time.Now}, nil
}

type cosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	if t >= 1<<63 {
		return false
	}
	return ed25519.Verify(v.pub, cosigMessage(t, msg), sig[8:])
}

// NewCosignatureVerifier reads a witness's verifier key.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, h, pub, err := splitKey(vkey)
	if err != nil {
		return nil, err
	}
	if cosigKeyHash(name, pub) != h {
		return nil, errors.New("witness key: key hash does not match")
	}
	return &cosigVerifier{name: name, hash: h, pub: pub}, nil
}

// Cosign adds a witness's cosignature to a signed checkpoint (which keeps
// its other signatures) and returns the result and the new signature line.
func Cosign(signed []byte, witnessSKey string) (out []byte, line string, err error) {
	s, err := NewCosigner(witnessSKey)
	if err != nil {
		return nil, "", err
	}
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		return nil, "", errors.New("checkpoint: not a signed note")
	}
	text := signed[:i+1]
	sig, err := s.Sign(text)
	if err != nil {
		return nil, "", err
	}
	line = fmt.Sprintf("— %s %s\n", s.Name(), base64.StdEncoding.EncodeToString(append(binary.BigEndian.AppendUint32(nil, s.KeyHash()), sig...)))
	return append(append([]byte{}, signed...), line...), line, nil
}
