// Package deploy ships the deployment files and the sample data; the sample data is
// embedded so that `dianbao serve` and `dianbao chat` work without --data.
package deploy

import (
	"embed"
	"io/fs"
)

//go:embed data/outages.json data/accounts.json
var data embed.FS

// SampleData returns the sample outages.json and accounts.json (contract §5) as a
// directory, the default of --data.
func SampleData() fs.FS {
	sub, err := fs.Sub(data, "data")
	if err != nil { // cannot happen: the directory is embedded above
		panic(err)
	}
	return sub
}
