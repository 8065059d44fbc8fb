package messagefile

// PublicDir is the top-level directory that holds the public folders'
// messages. No domain can take this name: a domain name needs a dot.
const PublicDir = "public"

// PublicPath returns the relative path of message id in the public
// folders: "public/<first 2 chars of id>/<id>.eml". id must have the form
// made by NewID.
func PublicPath(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	return PublicDir + "/" + id[:2] + "/" + id + ".eml", nil
}
