// Where the local console lives on the local host (GET / redirects there when the console is served).
export const CONSOLE_PATH = '/api/console';
