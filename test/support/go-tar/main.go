// Command go-tar reads a tar archive with Go's archive/tar, the reader Docker and containerd extract layers
// with, and prints what it reads: one JSON line per entry (name, typeflag, size, linkname, sha256 of the data
// Go delivers), then one line with the outcome: {"end":"ok"} or {"end":"error","error":"..."}.
//
// The digest is sha256 over the data cut into blocks of 1 MiB (the last may be shorter): per block the byte 'Z'
// when it is all zeros, else 'D' and the sha256 of the block. It names the content as sha256 of the data would
// (for a block size both sides agree on) but costs nothing for the holes of sparse files of tens of GB.
//
// Names are escaped as imgscan stores paths: a backslash as `\\`, a byte that is not part of valid UTF-8 as
// `\xNN` (two lowercase hex digits), everything else unchanged. It is the test reference of
// test/unit/layers/go-tar.test.ts: usage `go-tar [FILE]` (stdin without FILE).
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

type entry struct {
	Name     string  `json:"name"`
	Typeflag int     `json:"typeflag"`
	Size     int64   `json:"size"`
	Linkname string  `json:"linkname"`
	Digest   *string `json:"digest"`
	Read     int64   `json:"read"`
}

type end struct {
	End   string `json:"end"`
	Error string `json:"error,omitempty"`
}

// escape writes a name's bytes as imgscan stores them.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\\':
			b.WriteString("\\\\")
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

const digestBlock = 1 << 20

var zeros = make([]byte, digestBlock)

// digest reads r to its end and returns the block digest (see above) and the bytes read.
func digest(r io.Reader) (string, int64, error) {
	outer := sha256.New()
	buf := make([]byte, digestBlock)
	var total int64
	for {
		n, err := fill(r, buf)
		total += int64(n)
		if n > 0 {
			if bytes.Equal(buf[:n], zeros[:n]) {
				outer.Write([]byte{'Z'})
			} else {
				inner := sha256.Sum256(buf[:n])
				outer.Write([]byte{'D'})
				outer.Write(inner[:])
			}
		}
		if err == io.EOF {
			return hex.EncodeToString(outer.Sum(nil)), total, nil
		}
		if err != nil {
			return "", total, err
		}
	}
}

// fill reads until buf is full or r fails; io.EOF is the data's end, any other error is the reader's.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func main() {
	in := io.Reader(os.Stdin)
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	tr := tar.NewReader(in)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			enc.Encode(end{End: "ok"})
			return
		}
		if err != nil {
			enc.Encode(end{End: "error", Error: err.Error()})
			return
		}
		sum, n, err := digest(tr)
		e := entry{Name: escape(hdr.Name), Typeflag: int(hdr.Typeflag), Size: hdr.Size, Linkname: escape(hdr.Linkname), Read: n}
		if err == nil {
			e.Digest = &sum
		}
		enc.Encode(e)
		if err != nil {
			enc.Encode(end{End: "error", Error: err.Error()})
			return
		}
	}
}
