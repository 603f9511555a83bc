package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file, served at /static/<base>.<hash><ext>.
type asset struct {
	body        []byte
	contentType string
}

// assets maps each asset's hashed name ("app.3f2a9c1e0b7d.css") to it, and
// assetURLs each asset's plain name ("app.css") to its URL.
var assets, assetURLs = loadAssets()

// hashLen is how many hex digits of the SHA-256 of an asset its URL carries.
const hashLen = 12

func loadAssets() (map[string]asset, map[string]string) {
	byHash, urls := map[string]asset{}, map[string]string{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic("ui: embedded static directory: " + err.Error())
	}
	for _, e := range entries {
		name := e.Name()
		body, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			panic("ui: embedded asset " + name + ": " + err.Error())
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:hashLen] + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		byHash[hashed] = asset{body: body, contentType: ct}
		urls[name] = "/static/" + hashed
	}
	return byHash, urls
}

// AssetURL returns the content-hashed URL of the embedded asset name
// ("app.css"), or "" when there is none.
func AssetURL(name string) string { return assetURLs[name] }

// serveAsset serves GET /static/{name}: the asset under its hashed name,
// cacheable for a year (its URL changes with its content), or 404.
func (u *UI) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok {
		u.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(a.body)
}
