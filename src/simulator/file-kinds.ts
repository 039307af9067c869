// What a file is, from its first bytes, as Apiframe sniffs uploads (the declared content type is
// ignored), and the size it may have.

export type FileKind = 'image' | 'video' | 'audio';

export interface SniffedFile {
  kind: FileKind;
  contentType: string;
  extension: string;
}

const MB = 1024 * 1024;

/** Apiframe's upload limits by kind. */
export const UPLOAD_LIMITS: Record<FileKind, number> = { image: 25 * MB, audio: 25 * MB, video: 50 * MB };

const at = (data: Buffer, offset: number, text: string) =>
  data.subarray(offset, offset + text.length).toString('latin1') === text;

const file = (kind: FileKind, contentType: string, extension: string): SniffedFile => ({
  kind,
  contentType,
  extension,
});

/** The file's kind and type, or undefined when it is none Apiframe accepts. */
export function sniff(data: Buffer): SniffedFile | undefined {
  if (at(data, 0, '\x89PNG')) return file('image', 'image/png', 'png');
  if (at(data, 0, '\xFF\xD8\xFF')) return file('image', 'image/jpeg', 'jpg');
  if (at(data, 0, 'GIF8')) return file('image', 'image/gif', 'gif');
  if (at(data, 0, 'RIFF') && at(data, 8, 'WEBP')) return file('image', 'image/webp', 'webp');
  if (at(data, 0, 'RIFF') && at(data, 8, 'WAVE')) return file('audio', 'audio/wav', 'wav');
  if (at(data, 0, 'OggS')) return file('audio', 'audio/ogg', 'ogg');
  if (at(data, 0, 'ID3') || (data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0)) {
    return file('audio', 'audio/mpeg', 'mp3');
  }
  if (at(data, 0, '\x1A\x45\xDF\xA3')) return file('video', 'video/webm', 'webm');
  if (at(data, 4, 'ftyp')) {
    if (at(data, 8, 'M4A')) return file('audio', 'audio/mp4', 'm4a');
    if (at(data, 8, 'qt')) return file('video', 'video/quicktime', 'mov');
    return file('video', 'video/mp4', 'mp4');
  }
  return undefined;
}
