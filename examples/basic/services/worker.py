import time
from elife_pm import onstopping

@onstopping
def bye():
    print("python worker: saving state and leaving")

print("python worker: started")
while True:
    time.sleep(1)
