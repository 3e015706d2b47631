#!/usr/bin/env bash
# Regenerates the synthetic demo call recordings in this folder:
#   clip_1.mp3  stereo MP3 32 kbps (caller left, agent right)  - insurance quote
#   clip_2.mp3  stereo MP3 32 kbps (caller left, agent right)  - HVAC repair booking
#   clip_3.mp3  mono MP3 32 kbps                               - caller hangs up quickly
#   clip_4.wav  mono 8 kHz 16-bit PCM WAV                      - Medicare plan question
# and clips.json (durations/channels measured with soxi).
#
# Needs (Debian): espeak-ng sox libsox-fmt-mp3 lame
#   apt-get install -y espeak-ng sox libsox-fmt-mp3 lame
#
# All speech is synthetic (espeak-ng); all names, companies and addresses are
# made up. The output is free to redistribute (see README.md).
set -euo pipefail

cd "$(dirname "$0")"
for tool in espeak-ng sox soxi lame; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

CALLER_VOICE="en-us+m3"   # caller: male variant 3
AGENT_VOICE="en-us+f2"    # agent: female variant 2
SPEED=170                 # words per minute (espeak-ng default is 175)
RATE=8000                 # telephone sample rate
MP3_RATE=16000            # MP3s are resampled to 16 kHz (MPEG-2 layer III) so that
                          # every player decodes them; the audio band stays 300-3400 Hz.

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SOX=(sox -R -V1)          # -R: repeatable output (fixed random seed for the line noise)
N=0

# --- building blocks ------------------------------------------------------

# speak VOICE TEXT OUT: text -> 8 kHz mono 16-bit, telephone band (300-3400 Hz)
speak() {
  espeak-ng -v "$1" -s "$SPEED" -w "$WORK/raw.wav" "$2"
  "${SOX[@]}" "$WORK/raw.wav" -r "$RATE" -c 1 -b 16 "$3" \
    sinc 300-3400 compand 0.02,0.20 -60,-60,-30,-18,0,-8 -6 gain -n -3
}

# silence SECONDS OUT
silence() {
  "${SOX[@]}" -n -r "$RATE" -c 1 -b 16 "$2" trim 0 "$1"
}

# tone SECONDS FREQ1 FREQ2 OUT: two mixed sine tones at a quiet level
tone() {
  "${SOX[@]}" -n -r "$RATE" -c 1 -b 16 "$4" synth "$1" sine "$2" sine mix "$3" \
    fade t 0.01 "$1" 0.01 gain -n -16
}

# Each clip is built as two mono tracks of equal length, L (caller) and R (agent).
new_clip() { L=(); R=(); }

# next: sets SEG to a fresh segment file name (not via $(...): that would run in a subshell)
next() { N=$((N + 1)); SEG="$WORK/seg_$N.wav"; }

# both SEGMENT: append the same segment to both tracks (rings, pauses)
both() { L+=("$1"); R+=("$1"); }

# pause SECONDS
pause() { next; silence "$1" "$SEG"; both "$SEG"; }

# ring COUNT: US ringback (440 + 480 Hz), shortened cadence
ring() {
  local i
  for ((i = 0; i < $1; i++)); do
    next; tone 1.6 440 480 "$SEG"; both "$SEG"
    pause 1.0
  done
}

# busy COUNT: fast-busy / reorder tone (480 + 620 Hz) after a hang-up
busy() {
  local i
  for ((i = 0; i < $1; i++)); do
    next; tone 0.25 480 620 "$SEG"; both "$SEG"
    pause 0.25
  done
}

# caller TEXT / agent TEXT: one turn; the other track gets silence of equal length
turn() {
  local voice="$1" side="$2" text="$3" seg quiet
  next; seg="$SEG"; next; quiet="$SEG"
  speak "$voice" "$text" "$seg"
  "${SOX[@]}" "$seg" "$quiet" vol 0
  if [[ "$side" == L ]]; then L+=("$seg"); R+=("$quiet"); else L+=("$quiet"); R+=("$seg"); fi
}
caller() { turn "$CALLER_VOICE" L "$1"; }
agent()  { turn "$AGENT_VOICE"  R "$1"; }

# add_line_noise IN OUT: very faint hiss, like an analogue line
add_line_noise() {
  local dur ch
  dur="$(soxi -D "$1")"; ch="$(soxi -c "$1")"
  "${SOX[@]}" -n -r "$RATE" -c "$ch" -b 16 "$WORK/noise.wav" \
    synth "$dur" pinknoise sinc 300-3400 gain -n -52
  "${SOX[@]}" -m -v 1 "$1" -v 1 "$WORK/noise.wav" -b 16 "$2" gain -n -1
}

# finish OUT MODE: MODE is stereo-mp3, mono-mp3 or mono-wav
finish() {
  local out="$1" mode="$2"
  "${SOX[@]}" "${L[@]}" "$WORK/left.wav"
  "${SOX[@]}" "${R[@]}" "$WORK/right.wav"
  if [[ "$mode" == stereo-* ]]; then
    "${SOX[@]}" -M "$WORK/left.wav" "$WORK/right.wav" "$WORK/mixed.wav"
  else
    # mono: both parties on one channel (the shared tones are in both tracks,
    # so mixing at 0.5 + 0.5 keeps them at their level)
    "${SOX[@]}" -m -v 0.5 "$WORK/left.wav" -v 0.5 "$WORK/right.wav" "$WORK/mixed.wav"
  fi
  add_line_noise "$WORK/mixed.wav" "$WORK/final.wav"
  case "$mode" in
    stereo-mp3)
      "${SOX[@]}" "$WORK/final.wav" -r "$MP3_RATE" "$WORK/enc.wav"
      lame --quiet --cbr -b 32 -m s "$WORK/enc.wav" "$out" ;;
    mono-mp3)
      "${SOX[@]}" "$WORK/final.wav" -r "$MP3_RATE" "$WORK/enc.wav"
      lame --quiet --cbr -b 32 -m m "$WORK/enc.wav" "$out" ;;
    mono-wav)
      "${SOX[@]}" "$WORK/final.wav" -r "$RATE" -c 1 -b 16 -e signed-integer "$out" ;;
  esac
}

# --- the four calls -------------------------------------------------------

# clip_1: insurance quote (stereo)
new_clip
ring 1
agent  "Thank you for calling Shield Point Insurance, this is Dana. How can I help you today?"
pause 0.5
caller "Hi, yeah. I'm looking for a quote on car insurance. My renewal just went up a lot."
pause 0.4
agent  "I can help with that. What zip code is the car parked at overnight?"
pause 0.6
caller "It's three oh three oh one. It's a twenty nineteen Honda Civic."
pause 0.3
agent  "Perfect. Let me pull up some rates for you."
pause 0.6
finish clip_1.mp3 stereo-mp3

# clip_2: HVAC repair booking (stereo)
new_clip
ring 1
agent  "Comfort Air Heating and Cooling, this is Maria speaking."
pause 0.4
caller "Hi. My air conditioner stopped blowing cold air. Can someone come out today?"
pause 0.5
agent  "Sorry to hear that. A technician can be there between two and four today. Does that work?"
pause 0.4
caller "Yes. The address is forty one Maple Street."
pause 0.5
agent  "Got it. The service call is eighty nine dollars, waived if you go ahead with the repair."
pause 0.4
caller "Okay, thanks."
pause 0.6
finish clip_2.mp3 stereo-mp3

# clip_3: caller hangs up quickly (mono)
new_clip
ring 1
agent  "Thanks for calling Home Guard Solar, this is Kelly. Are you calling about a free quote?"
pause 0.7
caller "Oh, um, sorry. I think I dialed the wrong number."
pause 0.3
busy 3
pause 0.4
agent  "Hello? Are you still there?"
pause 1.0
finish clip_3.mp3 mono-mp3

# clip_4: Medicare plan question (mono WAV; kept short, PCM is 16 KB per second)
new_clip
ring 1
agent  "Bright Path Health Advisors, this is Dana."
pause 0.4
caller "Hi. I turn sixty five in March. Can I join a Medicare Advantage plan?"
pause 0.4
agent  "Yes. You can enroll starting three months before your birthday month."
pause 0.5
finish clip_4.wav mono-wav

# --- clips.json ------------------------------------------------------------

entry() { # FILE FORMAT TITLE
  printf '  {"file": "%s", "duration_s": %.2f, "channels": %d, "format": "%s", "title": "%s"}' \
    "$1" "$(soxi -D "$1")" "$(soxi -c "$1")" "$2" "$3"
}
{
  echo "["
  entry clip_1.mp3 mp3 "Auto insurance quote request"; echo ","
  entry clip_2.mp3 mp3 "HVAC repair booking";          echo ","
  entry clip_3.mp3 mp3 "Caller hangs up (wrong number)"; echo ","
  entry clip_4.wav wav "Medicare Advantage enrollment question"; echo
  echo "]"
} > clips.json

cat clips.json
du -ch clip_* | tail -1
