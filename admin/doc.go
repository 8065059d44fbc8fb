// Package admin holds the Administrator's pages, one file per node of the
// navigation tree (Welcome, Status, Domains, Rules, Settings, Utilities).
//
// Pages that read or change a server are written against the administration
// RPC client interface, never against the store or the server directly, so
// every page can be built and tested headless with fyne.io/fyne/v2/test and
// CGO_ENABLED=0. The RPC is not built yet: today only the Welcome page exists,
// and the other nodes show NotConnected.
package admin
