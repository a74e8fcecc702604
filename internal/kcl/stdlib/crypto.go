package stdlib

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"

	"lukechampine.com/blake3"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func cryptoModule(env Env) map[string]value.Value {
	def := defs("crypto")
	digest := func(name string, newHash func() hash.Hash) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s, nil); err != nil {
				return nil, err
			}
			h := newHash()
			h.Write([]byte(s))
			return value.Str(hex.EncodeToString(h.Sum(nil))), nil
		})
	}
	return members(
		digest("md5", md5.New),
		digest("sha1", sha1.New),
		digest("sha224", sha256.New224),
		digest("sha256", sha256.New),
		digest("sha384", sha512.New384),
		digest("sha512", sha512.New),
		digest("blake3", func() hash.Hash { return blake3.New(32, nil) }),
		def("uuid", func(c call) (value.Value, error) {
			if err := c.unpack(); err != nil {
				return nil, err
			}
			var b [16]byte
			if _, err := rand.Read(b[:]); err != nil {
				return nil, fmt.Errorf("uuid: %w", err)
			}
			b[6] = b[6]&0x0f | 0x40
			b[8] = b[8]&0x3f | 0x80
			h := hex.EncodeToString(b[:])
			return value.Str(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]), nil
		}),
		def("filesha256", func(c call) (value.Value, error) {
			var p string
			if err := c.unpack(&p); err != nil {
				return nil, err
			}
			full, err := resolvePath(env, p)
			if err != nil {
				return nil, err
			}
			data, err := env.FS().ReadFile(full)
			if err != nil {
				return nil, fileErr(err, "failed to access the file '%s': %s", p)
			}
			sum := sha256.Sum256(data)
			return value.Str(hex.EncodeToString(sum[:])), nil
		}),
	)
}
