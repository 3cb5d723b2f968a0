// Package architecture holds no code: its tests hold the rules of
// docs/architecture.md for every package at once — the store imports
// domain types only and runs no HTTP and no program, nothing below the web
// imports the web, the web's core imports no room, SQL is written only in
// internal/store, and no package below cmd reads the environment. A change that breaks a rule fails here, naming the
// import or the file, rather than in review.
package architecture
