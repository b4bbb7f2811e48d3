// Whether a path exists (file or folder), without throwing: model files may not be exported yet.
import * as fs from 'node:fs/promises';

export async function fileExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
