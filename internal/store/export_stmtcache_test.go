package store

// KeptStatements is how many prepared statements db keeps (stmtcache.go).
func KeptStatements(db *DB) int {
	c := db.cache()
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}
