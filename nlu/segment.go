package nlu

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yanyiwu/gojieba"
)

// userDict holds the domain words jieba would otherwise split (空气开关, 漏保, 户号 …).
//
//go:embed userdict.txt
var userDict []byte

// token is one jieba word with its part-of-speech tag and rune offsets into the segmented text.
type token struct {
	Text       string
	Tag        string
	Start, End int
}

// segmenter wraps gojieba. cppjieba's cutting is read-only after load, so one instance serves
// every goroutine.
type segmenter struct {
	jb *gojieba.Jieba
}

// newSegmenter loads jieba from dictDir (the module's own dictionaries when empty). The user
// dictionary and the unused keyword-extraction files are written to a temporary directory that
// is removed once jieba has read them, so a binary works from any working directory.
func newSegmenter(dictDir string, minFreq int) (*segmenter, error) {
	if dictDir == "" {
		dictDir = gojieba.DICT_DIR
	}
	mainDict := filepath.Join(dictDir, "jieba.dict.utf8")
	hmm := filepath.Join(dictDir, "hmm_model.utf8")
	for _, p := range []string{mainDict, hmm} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: %s (set Config.DictDir to a folder holding jieba.dict.utf8 and hmm_model.utf8): %v", ErrDictionary, p, err)
		}
	}
	tmp, err := os.MkdirTemp("", "dianbao-nlu-")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDictionary, err)
	}
	defer os.RemoveAll(tmp)
	if minFreq > 1 {
		trimmed := filepath.Join(tmp, "jieba.dict.utf8")
		if err := trimDict(mainDict, trimmed, minFreq); err != nil {
			return nil, err
		}
		mainDict = trimmed
	}
	user := filepath.Join(tmp, "user.dict.utf8")
	idf := filepath.Join(tmp, "idf.utf8")
	stop := filepath.Join(tmp, "stop_words.utf8")
	for _, f := range []struct {
		path string
		data []byte
	}{{user, userDict}, {idf, []byte("电 1.0\n")}, {stop, []byte("的\n")}} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDictionary, err)
		}
	}
	return &segmenter{jb: gojieba.NewJieba(mainDict, hmm, user, idf, stop)}, nil
}

// trimDict copies the jieba dictionary without its rarest words (frequency below minFreq). The
// full dictionary's 350 000 words cost about 100 MB and a second of start-up; the rare ones
// are mostly names and literary compounds a service call never contains, and jieba's HMM still
// segments unknown words.
func trimDict(src, dst string, minFreq int) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDictionary, err)
	}
	out := make([]byte, 0, len(data)/2)
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		f := bytes.Fields(line)
		if len(f) >= 2 {
			if n, err := strconv.Atoi(string(f[1])); err == nil && n < minFreq && utf8.RuneCount(f[0]) > 1 {
				continue
			}
		}
		out = append(out, line...)
	}
	if err := os.WriteFile(dst, out, 0o600); err != nil {
		return fmt.Errorf("%w: %v", ErrDictionary, err)
	}
	return nil
}

// Segment cuts s into tagged tokens; whitespace tokens are dropped but offsets stay exact.
func (s *segmenter) Segment(text string) []token {
	if text == "" {
		return nil
	}
	tagged := s.jb.Tag(text)
	out := make([]token, 0, len(tagged))
	pos := 0
	for _, tw := range tagged {
		word, tag := tw, ""
		if i := strings.LastIndexByte(tw, '/'); i > 0 {
			word, tag = tw[:i], tw[i+1:]
		}
		n := runeLen(word)
		if strings.TrimSpace(word) != "" {
			out = append(out, token{Text: word, Tag: tag, Start: pos, End: pos + n})
		}
		pos += n
	}
	return out
}

func (s *segmenter) Close() { s.jb.Free() }

func runeLen(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}
