// Package web holds the browser side of dianbao, embedded in the binary: the demo utility
// site with the chat widget, the embeddable widget script, the agent console pages and the
// voice widget page. It serves fixed files only; nothing is templated with customer data.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed *.html *.js *.css
var files embed.FS

// Files returns the embedded files.
func Files() fs.FS { return files }

// Site serves the embedded pages.
type Site struct{ fs fs.FS }

// New returns the site over the embedded files.
func New() *Site { return &Site{fs: files} }

// File serves one embedded file whatever the request path, e.g. File("agent.html") for
// /agent. A file that is not embedded (say voice.html before it lands) answers 404.
func (s *Site) File(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(s.fs, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType(name))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".css") {
			w.Header().Set("Cache-Control", "no-cache")
			// The widget script is embedded by other sites.
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		_, _ = w.Write(b)
	})
}

// Has reports whether a file is embedded.
func (s *Site) Has(name string) bool {
	_, err := fs.Stat(s.fs, name)
	return err == nil
}

// Names lists the embedded files.
func (s *Site) Names() []string {
	entries, _ := fs.ReadDir(s.fs, ".")
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return "application/octet-stream"
}
