package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// The success cache lets a client that reconnects with the same Basic
// credentials skip bcrypt for a while: a device that reconnects every few
// seconds would otherwise cost a bcrypt check each time.
//
// Why it is safe:
//   - Only successes are stored. A wrong password always costs a full bcrypt
//     comparison, so guessing is not faster, and there is nothing a failed
//     attempt can put into the cache.
//   - The key is SHA-256(salt ‖ user-id ":" password) with a random salt per
//     Authenticator that never leaves memory: the cache holds no password,
//     and its keys are useless to anyone without the salt (no precomputed
//     tables, no offline guessing from a memory dump that lacks the salt).
//     SHA-256 is collision resistant, so only the exact pair that passed
//     bcrypt hits; user-id has no colon, so the pair is unambiguous.
//   - Entries expire a fixed cacheTTL after the bcrypt check, whatever the
//     hits in between, which bounds how long a derived key stays in memory.
//     They belong to one immutable Authenticator: a reload builds a new one
//     with an empty cache, so a changed or removed credential stops working
//     as soon as the reload takes effect.
//   - A hit is faster than bcrypt, but only for someone who has just sent
//     the right password; names not in the file never get an entry, so the
//     timing says nothing about which names exist.
//   - It is bounded (cacheSize entries) and an entry needs a valid password,
//     so the number of valid credentials bounds its growth, not traffic.
const (
	cacheTTL  = time.Minute
	cacheSize = 1024
)

// cacheKey is the salted digest that identifies one (user-id, password) pair.
type cacheKey = [sha256.Size]byte

// successCache is the set of recently verified Basic credentials. Safe for
// concurrent use.
type successCache struct {
	salt [32]byte
	now  func() time.Time // time.Now; tests move it

	mu      sync.Mutex
	expires map[cacheKey]time.Time
}

func newSuccessCache() *successCache {
	c := &successCache{now: time.Now, expires: make(map[cacheKey]time.Time)}
	rand.Read(c.salt[:]) // never fails (crypto/rand since Go 1.24)
	return c
}

// hit reports whether k was verified less than cacheTTL ago.
func (c *successCache) hit(k *cacheKey) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.expires[*k]
	if ok && !now.Before(exp) {
		delete(c.expires, *k)
		ok = false
	}
	return ok
}

// add records that k has just passed bcrypt. When the cache is full it drops
// the expired entries and, if none has expired, an arbitrary one.
func (c *successCache) add(k *cacheKey) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.expires[*k]; !ok && len(c.expires) >= cacheSize {
		for key, exp := range c.expires {
			if !now.Before(exp) {
				delete(c.expires, key)
			}
		}
		for key := range c.expires {
			if len(c.expires) < cacheSize {
				break
			}
			delete(c.expires, key)
		}
	}
	c.expires[*k] = now.Add(cacheTTL)
}

// len returns the number of entries, expired ones included (tests).
func (c *successCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.expires)
}
