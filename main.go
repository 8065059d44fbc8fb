// Mailwright Administrator is the desktop program that administers Mailwright
// servers, as hMailServer Administrator does for hMailServer. Everything it
// shows lives in package app (the shell) and package admin (the pages).
package main

import "github.com/mailwright/mailwright/app"

func main() {
	app.Run()
}
