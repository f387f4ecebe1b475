// `npm run docs`: rewrites the generated parts of the repository from the code (scripts/api-docs.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CLIENT_TYPES_PATH, clientTypes, readmeWithGeneratedSections } from './api-docs.js';

writeFileSync('README.md', readmeWithGeneratedSections(readFileSync('README.md', 'utf8')));
mkdirSync(dirname(CLIENT_TYPES_PATH), { recursive: true });
writeFileSync(CLIENT_TYPES_PATH, await clientTypes());
console.info(`wrote README.md (generated sections) and ${CLIENT_TYPES_PATH}`);
