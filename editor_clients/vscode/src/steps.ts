/**
 * Showing the intermediate denoising text of a running fill (`unmask/step`).
 *
 * While a fill runs, each hole's range keeps its old text (the edit lands at the end, in one undo step).
 * We fade that range and put the model's current guess after it as ghost text; the full guess is in the
 * hover. Pure: `StepOverlay` turns notifications into per-document decoration specs; `extension.ts` paints
 * them with one `TextEditorDecorationType`.
 */
import type { Range } from 'vscode-languageserver-protocol';
import type { StepParams } from './protocol';

/** Still-masked tokens arrive as this glyph (unmask.model.api.MASK_GLYPH). */
export const MASK_GLYPH = '\u2591';

export interface StepDecoration {
  range: Range;
  /** One line, at most `PREVIEW_CHARS` characters: decorations cannot show newlines. */
  preview: string;
  /** The whole intermediate text, for the hover. */
  full: string;
}

export const PREVIEW_CHARS = 80;

/** Flattens a multi-line guess into one line that fits after the range. */
export function previewText(text: string, limit = PREVIEW_CHARS): string {
  const flat = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' \u23ce ')
    // Long masked runs say nothing beyond "still masked": show a few glyphs.
    .replace(new RegExp(`${MASK_GLYPH}{4,}`, 'g'), MASK_GLYPH.repeat(3) + '\u2026');
  return flat.length <= limit ? flat : flat.slice(0, limit - 1) + '\u2026';
}

export class StepOverlay {
  private readonly byUri = new Map<string, { version: number; decorations: StepDecoration[] }>();

  /**
   * Records a step. Returns the URI whose decorations changed, or undefined when the step is ignored:
   * it is for a version other than the document's current one (the user typed; the result will be
   * rejected by the server anyway).
   */
  onStep(params: StepParams, currentVersion: number | undefined): string | undefined {
    if (currentVersion !== undefined && currentVersion !== params.version) {
      return this.clear(params.uri) ? params.uri : undefined;
    }
    const decorations = params.ranges.map((range, index) => ({
      range,
      preview: previewText(params.texts[index] ?? ''),
      full: params.texts[index] ?? '',
    }));
    this.byUri.set(params.uri, { version: params.version, decorations });
    return params.uri;
  }

  decorations(uri: string): StepDecoration[] {
    return this.byUri.get(uri)?.decorations ?? [];
  }

  /** Drops the overlay of one document (the fill ended or the text changed). True if there was one. */
  clear(uri: string): boolean {
    return this.byUri.delete(uri);
  }

  clearAll(): string[] {
    const uris = [...this.byUri.keys()];
    this.byUri.clear();
    return uris;
  }

  /** A document changed to `version`: overlays drawn for an older version are stale. */
  onDocumentChanged(uri: string, version: number): boolean {
    const entry = this.byUri.get(uri);
    if (entry !== undefined && entry.version !== version) {
      this.byUri.delete(uri);
      return true;
    }
    return false;
  }
}
