// A folder from the user's disk as host files (`<folder>/<path>`), for `docker build <folder>`
// and `docker cp`: from the File System Access API where the browser has it, otherwise from an
// `<input webkitdirectory>`. The files are read once, when picked, as a host's docker reads the
// directory it is given.

/** One file of a picked folder: its path under the folder's name, and its bytes. */
export type FolderFile = readonly [path: string, data: Uint8Array];

/** Most bytes a picked folder may hold: the files live in the page's memory. */
const MAX_FOLDER_BYTES = 512 * 2 ** 20;

/** Version-control metadata is never part of a build context a user means to send. */
const SKIPPED = new Set(['.git', 'node_modules']);

/** Every file under a directory handle, as `<handle name>/<relative path>`. */
export async function filesFromDirectoryHandle(root: FileSystemDirectoryHandle): Promise<FolderFile[]> {
  const out: FolderFile[] = [];
  let total = 0;
  const walk = async (dir: FileSystemDirectoryHandle, prefix: string) => {
    for await (const entry of dir.values()) {
      if (SKIPPED.has(entry.name)) continue;
      const path = `${prefix}/${entry.name}`;
      if (entry.kind === 'directory') await walk(entry as FileSystemDirectoryHandle, path);
      else {
        const file = await (entry as FileSystemFileHandle).getFile();
        total += file.size;
        if (total > MAX_FOLDER_BYTES) throw new Error(`the folder ${root.name} holds more than ${MAX_FOLDER_BYTES / 2 ** 20} MiB`);
        out.push([path, new Uint8Array(await file.arrayBuffer())]);
      }
    }
  };
  await walk(root, root.name);
  return out;
}

/** The files an `<input webkitdirectory>` was given: their paths already start with the folder's name. */
export async function filesFromDirectoryInput(list: FileList): Promise<FolderFile[]> {
  const files = [...list].filter((f) => !f.webkitRelativePath.split('/').some((part) => SKIPPED.has(part)));
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > MAX_FOLDER_BYTES) throw new Error(`the folder holds more than ${MAX_FOLDER_BYTES / 2 ** 20} MiB`);
  return Promise.all(files.map(async (f) => [f.webkitRelativePath || f.name, new Uint8Array(await f.arrayBuffer())] as const));
}
