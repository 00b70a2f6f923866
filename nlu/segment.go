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

// The jieba dictionaries travel inside the binary: a container image or a machine with only
// the binary has no Go module cache to read them from. dict/jieba.dict.utf8 is gojieba's main
// dictionary without the words rarer than DefaultMinWordFreq (regenerate with
// `go test ./nlu -run TestEmbeddedDictionary -update`); hmm_model.utf8 is gojieba's unchanged.
var (
	//go:embed dict/jieba.dict.utf8
	embeddedMainDict []byte
	//go:embed dict/hmm_model.utf8
	embeddedHMM []byte
)

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

// newSegmenter loads jieba from the embedded dictionaries, or from dictDir (a folder holding
// jieba.dict.utf8 and hmm_model.utf8) when it is set. cppjieba only reads files, so the
// dictionaries are written to a private temporary directory that is removed as soon as jieba
// has loaded them: nothing is left behind, even when the process is killed before Close.
func newSegmenter(dictDir string, minFreq int) (*segmenter, error) {
	mainDict, hmm := embeddedMainDict, embeddedHMM
	if dictDir != "" {
		var err error
		if mainDict, err = os.ReadFile(filepath.Join(dictDir, "jieba.dict.utf8")); err == nil {
			hmm, err = os.ReadFile(filepath.Join(dictDir, "hmm_model.utf8"))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v (the folder given as the jieba dictionary must hold jieba.dict.utf8 and hmm_model.utf8)", ErrDictionary, err)
		}
	}
	if len(mainDict) == 0 || len(hmm) == 0 {
		return nil, fmt.Errorf("%w: empty jieba dictionary", ErrDictionary)
	}
	if minFreq > 1 {
		mainDict = trimDict(mainDict, minFreq)
	}
	tmp, err := os.MkdirTemp("", "dianbao-nlu-")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDictionary, err)
	}
	defer os.RemoveAll(tmp)
	files := []struct {
		name string
		data []byte
	}{
		{"jieba.dict.utf8", mainDict}, {"hmm_model.utf8", hmm}, {"user.dict.utf8", userDict},
		// Keyword extraction is never used; jieba still insists on an idf and a stop-word file.
		{"idf.utf8", []byte("电 1.0\n")}, {"stop_words.utf8", []byte("的\n")},
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(tmp, f.name)
		if err := os.WriteFile(paths[i], f.data, 0o600); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDictionary, err)
		}
	}
	return &segmenter{jb: gojieba.NewJieba(paths...)}, nil
}

// trimDict returns the jieba dictionary without its rarest words (frequency below minFreq).
// The full dictionary's 350 000 words cost about 100 MB and a second of start-up; the rare
// ones are mostly names and literary compounds a service call never contains, and jieba's HMM
// still segments unknown words. Single characters are always kept.
func trimDict(data []byte, minFreq int) []byte {
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
	return out
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
