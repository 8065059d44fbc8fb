// Package admin holds the Administrator's pages, one file per node of the
// navigation tree (Welcome, Status, Domains, Rules, Settings, Utilities).
//
// Pages that read or change a server are written against the administration
// RPC client interface, never against the store or the server directly, so
// every page can be built and tested headless with fyne.io/fyne/v2/test and
// CGO_ENABLED=0. A Session holds the logged-in client; ConnectDialog makes
// one. Pages register themselves in Pages (and subtrees in Subtrees) so the
// shell in package app builds its tree from what this package has.
package admin
