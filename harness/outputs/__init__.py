"""What a run leaves behind: snapshot documents and JSON/Markdown/HTML/terminal reports."""
