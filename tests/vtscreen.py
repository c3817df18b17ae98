"""A small terminal emulator for the tests of `herald tui` (stdlib only).

It understands what ncurses sends for TERM=xterm (terminfo's xterm entry):
cursor addressing and motion, erasing, insert/delete of characters and lines,
scrolling regions, repeat (rep), insert mode, the alternate screen, SGR
attributes and colours, and UTF-8 text whose width follows Unicode's East
Asian Width (a wide character takes two cells; a combining mark joins the
cell before). What it does not understand it records in `unknown`, so a test
can fail on it rather than read a wrong screen.

Besides the cells it keeps counts a test can assert on: `autowraps` (a
character written past the last column, which the terminal wrapped: a line
that was too wide), `colour_sgr` (SGR colour parameters seen), and whether
the alternate screen is on.
"""

import unicodedata

BOLD, DIM, UNDERLINE, REVERSE = 1, 2, 4, 8


def char_width(ch):
    o = ord(ch)
    if o == 0:
        return 0
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if 0x1160 <= o <= 0x11FF:  # Hangul jamo medial vowels, final consonants
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class Cell:
    __slots__ = ("ch", "attr", "fg", "bg")

    def __init__(self, ch=" ", attr=0, fg=None, bg=None):
        self.ch, self.attr, self.fg, self.bg = ch, attr, fg, bg


class Screen:
    def __init__(self, cols, rows):
        self.unknown = []
        self.autowraps = 0
        self.colour_sgr = 0
        self.alternate = False
        self.resize(cols, rows)
        self._buf = b""
        self._last = " "

    # -- geometry --

    def resize(self, cols, rows):
        self.cols, self.rows = cols, rows
        self.grid = [[Cell() for _ in range(cols)] for _ in range(rows)]
        self.x = self.y = 0
        self.top, self.bottom = 0, rows - 1
        self.attr, self.fg, self.bg = 0, None, None
        self.pending = False
        self.insert = False
        self.saved = (0, 0)

    def _blank(self):
        return Cell(" ", 0, None, self.bg)

    def _clamp(self):
        self.x = max(0, min(self.cols - 1, self.x))
        self.y = max(0, min(self.rows - 1, self.y))
        self.pending = False

    def _scroll_up(self, n=1, top=None, bottom=None):
        top = self.top if top is None else top
        bottom = self.bottom if bottom is None else bottom
        for _ in range(n):
            del self.grid[top]
            self.grid.insert(bottom, [self._blank() for _ in range(self.cols)])

    def _scroll_down(self, n=1, top=None, bottom=None):
        top = self.top if top is None else top
        bottom = self.bottom if bottom is None else bottom
        for _ in range(n):
            del self.grid[bottom]
            self.grid.insert(top, [self._blank() for _ in range(self.cols)])

    def _linefeed(self):
        if self.y == self.bottom:
            self._scroll_up()
        elif self.y < self.rows - 1:
            self.y += 1

    # -- text --

    def _put(self, ch):
        w = char_width(ch)
        if w == 0:
            # A combining mark joins the character before it.
            x = self.x - 1 if not self.pending else self.x
            if x >= 0:
                c = self.grid[self.y][x]
                if c.ch == "" and x > 0:
                    c = self.grid[self.y][x - 1]
                c.ch += ch
            return
        if self.pending or self.x + w > self.cols:
            self.autowraps += 1
            self.x = 0
            self.pending = False
            self._linefeed()
        row = self.grid[self.y]
        if self.insert:
            for _ in range(w):
                row.insert(self.x, self._blank())
                row.pop()
        # A wide character half overwritten leaves a blank.
        if row[self.x].ch == "" and self.x > 0:
            row[self.x - 1] = self._blank()
        if self.x + w < self.cols and row[self.x + w].ch == "":
            row[self.x + w] = self._blank()
        row[self.x] = Cell(ch, self.attr, self.fg, self.bg)
        if w == 2:
            row[self.x + 1] = Cell("", self.attr, self.fg, self.bg)
        self._last = ch
        if self.x + w >= self.cols:
            self.x = self.cols - 1
            self.pending = True
        else:
            self.x += w

    # -- control --

    def feed(self, data):
        self._buf += data
        buf, i = self._buf, 0
        n = len(buf)
        while i < n:
            b = buf[i]
            if b == 0x1B:
                j = self._escape(buf, i)
                if j is None:
                    break  # incomplete: wait for more
                i = j
                continue
            if b < 0x20 or b == 0x7F:
                self._control(b)
                i += 1
                continue
            # UTF-8
            need = 1 if b < 0x80 else 2 if b >> 5 == 6 else 3 if b >> 4 == 14 else 4 if b >> 3 == 30 else 1
            if i + need > n:
                break
            ch = buf[i:i + need].decode("utf-8", "replace")
            for c in ch:
                self._put(c)
            i += need
        self._buf = buf[i:]

    def _control(self, b):
        if b == 0x0D:
            self.x, self.pending = 0, False
        elif b == 0x0A:
            self.pending = False
            self._linefeed()
        elif b == 0x08:
            self.x, self.pending = max(0, self.x - 1), False
        elif b == 0x09:
            self.x, self.pending = min(self.cols - 1, (self.x // 8 + 1) * 8), False
        elif b in (0x07, 0x0E, 0x0F, 0x00):
            pass
        else:
            self.unknown.append("C0 %#x" % b)

    def _escape(self, buf, i):
        n = len(buf)
        if i + 1 >= n:
            return None
        c = chr(buf[i + 1])
        if c == "[":
            j = i + 2
            while j < n and not (0x40 <= buf[j] <= 0x7E):
                j += 1
            if j >= n:
                return None
            self._csi(buf[i + 2:j].decode("latin-1"), chr(buf[j]))
            return j + 1
        if c == "]":  # OSC, ended by BEL or ST
            j = i + 2
            while j < n and buf[j] != 0x07 and not (buf[j] == 0x1B and j + 1 < n and buf[j + 1] == 0x5C):
                j += 1
            if j >= n:
                return None
            return j + 1 if buf[j] == 0x07 else j + 2
        if c in "()*+":
            if i + 2 >= n:
                return None
            if chr(buf[i + 2]) not in "B0":
                self.unknown.append("charset %r" % chr(buf[i + 2]))
            return i + 3
        if c == "7":
            self.saved = (self.x, self.y)
        elif c == "8":
            self.x, self.y = self.saved
            self._clamp()
        elif c == "M":
            if self.y == self.top:
                self._scroll_down()
            else:
                self.y = max(0, self.y - 1)
        elif c == "D":
            self._linefeed()
        elif c == "E":
            self.x = 0
            self._linefeed()
        elif c in "=>":
            pass
        elif c == "c":
            self.resize(self.cols, self.rows)
        else:
            self.unknown.append("ESC %r" % c)
        return i + 2

    def _csi(self, params, final):
        private = params[:1] in ("?", ">", "!", "<", "=")
        body = params[1:] if private else params
        args = [int(a) if a.isdigit() else 0 for a in body.split(";")] if body else []

        def arg(k, default=1):
            return args[k] if k < len(args) and args[k] else default

        if private or params.startswith("!"):
            if final in "hl" and params.startswith("?"):
                for a in args:
                    if a in (1049, 47, 1047):
                        self.alternate = final == "h"
                        if final == "h":
                            self.grid = [[Cell() for _ in range(self.cols)] for _ in range(self.rows)]
            elif final == "p" and params == "!":
                pass  # soft reset
            elif final not in "hlpcn":
                self.unknown.append("CSI %s%s" % (params, final))
            return
        if final in "Hf":
            self.y, self.x = arg(0) - 1, arg(1) - 1
            self._clamp()
        elif final == "A":
            self.y = max(self.top if self.y >= self.top else 0, self.y - arg(0))
            self.pending = False
        elif final == "B":
            self.y = min(self.bottom if self.y <= self.bottom else self.rows - 1, self.y + arg(0))
            self.pending = False
        elif final == "C":
            self.x = min(self.cols - 1, self.x + arg(0))
            self.pending = False
        elif final == "D":
            self.x = max(0, self.x - arg(0))
            self.pending = False
        elif final == "G":
            self.x = arg(0) - 1
            self._clamp()
        elif final == "d":
            self.y = arg(0) - 1
            self._clamp()
        elif final == "J":
            self._erase_display(arg(0, 0))
        elif final == "K":
            self._erase_line(arg(0, 0))
        elif final == "X":
            row = self.grid[self.y]
            for k in range(self.x, min(self.cols, self.x + arg(0))):
                row[k] = self._blank()
        elif final == "@":
            row = self.grid[self.y]
            for _ in range(arg(0)):
                row.insert(self.x, self._blank())
                row.pop()
        elif final == "P":
            row = self.grid[self.y]
            for _ in range(arg(0)):
                del row[self.x]
                row.append(self._blank())
        elif final == "L":
            if self.top <= self.y <= self.bottom:
                self._scroll_down(arg(0), self.y, self.bottom)
        elif final == "M":
            if self.top <= self.y <= self.bottom:
                self._scroll_up(arg(0), self.y, self.bottom)
        elif final == "S":
            self._scroll_up(arg(0))
        elif final == "T":
            self._scroll_down(arg(0))
        elif final == "r":
            self.top, self.bottom = arg(0) - 1, arg(1, self.rows) - 1
            self.x = self.y = 0
            self.pending = False
        elif final == "b":
            for _ in range(arg(0)):
                self._put(self._last)
        elif final == "m":
            self._sgr(args or [0])
        elif final in "hl":
            if 4 in args:
                self.insert = final == "h"
        elif final in "tnc":
            pass  # window ops, reports: nothing on screen
        else:
            self.unknown.append("CSI %s%s" % (params, final))

    def _sgr(self, args):
        k = 0
        while k < len(args):
            a = args[k]
            if a == 0:
                self.attr, self.fg, self.bg = 0, None, None
            elif a == 1:
                self.attr |= BOLD
            elif a == 2:
                self.attr |= DIM
            elif a == 4:
                self.attr |= UNDERLINE
            elif a == 7:
                self.attr |= REVERSE
            elif a in (22,):
                self.attr &= ~(BOLD | DIM)
            elif a == 24:
                self.attr &= ~UNDERLINE
            elif a == 27:
                self.attr &= ~REVERSE
            elif 30 <= a <= 37 or 90 <= a <= 97:
                self.fg = a
                self.colour_sgr += 1
            elif 40 <= a <= 47 or 100 <= a <= 107:
                self.bg = a
                self.colour_sgr += 1
            elif a in (38, 48):
                self.colour_sgr += 1
                k += 2 if k + 1 < len(args) and args[k + 1] == 5 else 4
            elif a == 39:
                self.fg = None
            elif a == 49:
                self.bg = None
            k += 1

    def _erase_line(self, mode):
        row = self.grid[self.y]
        rng = range(self.x, self.cols) if mode == 0 else range(0, self.x + 1) if mode == 1 else range(self.cols)
        for k in rng:
            row[k] = self._blank()

    def _erase_display(self, mode):
        if mode == 0:
            self._erase_line(0)
            rows = range(self.y + 1, self.rows)
        elif mode == 1:
            self._erase_line(1)
            rows = range(0, self.y)
        else:
            rows = range(self.rows)
        for r in rows:
            self.grid[r] = [self._blank() for _ in range(self.cols)]

    # -- reading --

    def line(self, y):
        """Row y as text (a wide character once), trailing blanks cut."""
        return "".join(c.ch for c in self.grid[y]).rstrip()

    def cells(self, y):
        """Row y as a list with one entry per cell ('' for a wide character's second half)."""
        return [c.ch for c in self.grid[y]]

    def text(self):
        return "\n".join(self.line(y) for y in range(self.rows))

    def col_of(self, y, s):
        """The cell where s starts in row y, or -1."""
        cells = self.cells(y)
        for x in range(self.cols):
            if cells[x] == "":
                continue
            k, j = x, 0
            while j < len(s) and k < self.cols:
                if cells[k] == "":
                    k += 1
                    continue
                if not cells[k].startswith(s[j]):
                    break
                j += 1
                k += 1
            if j == len(s):
                return x
        return -1

    def attrs(self, y):
        return [c.attr for c in self.grid[y]]
