"""The duty officer's web console: one page and its static assets, reading the services'
own HTTP APIs from the browser (same origin). It imports no service."""
