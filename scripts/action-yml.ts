// Writes action.yml from src/config/settings.ts (the one source of truth for inputs and outputs).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderActionYml } from '../src/config/action-yml';

writeFileSync(resolve(__dirname, '../action.yml'), renderActionYml());
console.log('action.yml written from src/config/settings.ts');
